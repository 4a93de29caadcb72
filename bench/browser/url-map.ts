/**
 * Local folders as URLs of the benchmark's vite server: inside the served root -> `/<relative>`,
 * elsewhere -> vite's `/@fs/<absolute>` (allowed by vite.config.ts `server.fs.allow: ['..']`,
 * which covers ../shared/datasets). URLs pass through unchanged.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export function servedUrl(root: string, location: string, what: string): string {
  if (/^https?:\/\//i.test(location)) return location.replace(/\/+$/, '');
  const abs = resolve(location);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new Error(`${what} ${location} is not a folder (resolved to ${abs}); pass the folder that holds ${what === '--dataset' ? 'corpus.jsonl' : 'manifest.json'}.`);
  }
  const rel = relative(resolve(root), abs);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  const posix = (p: string): string => p.split(sep).join('/');
  return inside ? `/${posix(rel)}`.replace(/\/+$/, '') || '/' : `/@fs${posix(abs)}`;
}
