/**
 * The browser benchmark's harness: vite serving the repository root (COOP/COEP from
 * vite.config.ts, so WASM runs threaded) and Debian's Chromium through playwright-core with
 * WebGPU enabled (the e2e runner's flags). `close()` stops both. And how a local folder is
 * reached on that server (`servedUrl`).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../../e2e/run';

export interface Harness {
  browser: Browser;
  /** e.g. http://127.0.0.1:5179 */
  baseUrl: string;
  close(): Promise<void>;
}

export async function startHarness(root: string): Promise<Harness> {
  const server = await createServer({
    root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  let browser: Browser | undefined;
  try {
    await server.listen();
    const addr = server.httpServer?.address();
    if (!addr || typeof addr === 'string') throw new Error('vite did not report a port');
    browser = await launchBrowser();
    const b = browser;
    return {
      browser: b,
      baseUrl: `http://127.0.0.1:${addr.port}`,
      close: async () => {
        await b.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}

/** Debian's Chromium with the e2e runner's flags (WebGPU enabled), headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true }).catch((err: unknown) => {
    throw new Error(`could not launch Chromium at ${chromiumPath} (${err instanceof Error ? err.message : String(err)}); install Debian's chromium or set CHROMIUM_PATH.`);
  });
}

/**
 * Local folders as URLs of the benchmark's vite server: inside the served root -> `/<relative>`,
 * elsewhere -> vite's `/@fs/<absolute>` (allowed by vite.config.ts `server.fs.allow: ['..']`,
 * which covers ../shared/datasets). URLs pass through unchanged.
 */
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
