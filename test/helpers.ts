/**
 * Shared test helpers: the tiny fixture bundle and its golden file, a local HTTP server for
 * loading over fetch, and a Map-backed stand-in for the Cache API.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CACHE_NAME } from '../src/cache';
import { parseManifest, type Manifest } from '../src/manifest';
import type { LayerStep } from '../src/plan';
import type { RerankConfig } from '../src/types';

export const TINY = 'test/fixtures/tiny';

export interface GoldenCase {
  name: string;
  config: RerankConfig;
  /** The trainer's plan of `config` (SubArch.plan). */
  plan?: LayerStep[];
  query: string;
  passages: string[];
  inputIds: number[][];
  qLens: number[];
  pLens: number[];
  truncated: boolean[];
  scores: number[];
}

export interface Golden {
  tolerance: number;
  cases: GoldenCase[];
}

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
export const tinyManifest = (): Manifest => parseManifest(readJson(`${TINY}/manifest.json`));
export const tinyGolden = (): Golden => readJson(`${TINY}/golden.json`) as Golden;

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  close: () => Promise<void>;
}

/**
 * A local HTTP server: `body(path)` gives the bytes served at a URL path (decoded pathname);
 * undefined, or a throw (e.g. a missing file), answers 404.
 */
export async function startServer(body: (path: string) => Uint8Array | undefined): Promise<TestServer> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    let bytes: Uint8Array | undefined;
    try {
      bytes = body(path);
    } catch {
      bytes = undefined;
    }
    if (!bytes) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-length', bytes.byteLength);
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Installs an in-memory Cache API as `globalThis.caches` whose storage holds `capacity` bytes (a
 * put past it throws QuotaExceededError); returns its store (request URL -> bytes). The test
 * deletes `globalThis.caches` afterwards.
 */
export function installFakeCaches(capacity = Infinity): Map<string, Uint8Array> {
  const store = new Map<string, Uint8Array>();
  const used = () => [...store.values()].reduce((s, b) => s + b.byteLength, 0);
  const cache = {
    async match(key: string) { const b = store.get(key); return b ? new Response(b as Uint8Array<ArrayBuffer>) : undefined; },
    async put(key: string, res: Response) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (used() + bytes.byteLength > capacity) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      store.set(key, bytes);
    },
    async keys() { return [...store.keys()].map((url) => ({ url })); },
    async delete(req: string | { url: string }) { return store.delete(typeof req === 'string' ? req : req.url); },
  };
  (globalThis as { caches?: unknown }).caches = {
    open: async () => cache,
    delete: async (name: string) => { if (name !== CACHE_NAME) return false; store.clear(); return true; },
  };
  return store;
}
