/**
 * Loading over HTTP (fetch): progress, the Cache API (a Map-backed stand-in for `caches`),
 * versioning by manifest hash, and named errors for missing files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../src/bundle';
import { BundleError } from '../src/errors';
import type { DownloadProgress as LoadProgress } from '../src/bundle';
import { TINY, installFakeCaches, startServer, type TestServer } from './helpers';

let server: TestServer;
let base: string;
const hits: string[] = [];
let manifestOverride: string | null = null;
const missing = new Set<string>();

beforeAll(async () => {
  server = await startServer((path) => {
    const file = path.replace(/^\/tiny\//, '');
    hits.push(file);
    if (missing.has(file)) return undefined;
    return file === 'manifest.json' && manifestOverride ? Buffer.from(manifestOverride) : readFileSync(join(TINY, file));
  });
  base = `${server.origin}/tiny`;
});
afterAll(() => server.close());

afterEach(() => {
  delete (globalThis as { caches?: unknown }).caches;
  hits.length = 0;
  manifestOverride = null;
  missing.clear();
});

describe('loadBundle over fetch', () => {
  it('loads every file and reports monotonic progress to 1', async () => {
    const progress: LoadProgress[] = [];
    const b = await loadBundle(base, { onProgress: (p) => progress.push(p) });
    expect(b.manifest.name).toBe('tiny-random');
    expect(b.graphs.layers).toHaveLength(4);
    expect(b.adapters.size).toBe(4 * 4 * 6 * 2);
    const fr = progress.map((p) => p.fraction);
    expect([...fr].sort((a, c) => a - c)).toEqual(fr);
    expect(fr[fr.length - 1]).toBeCloseTo(1, 9);
    expect(new Set(progress.map((p) => p.file))).toContain('layer_04.onnx');
    expect(progress.every((p) => !p.fromCache)).toBe(true);
  });

  it('a reload is served from the Cache API, except manifest.json', async () => {
    const store = installFakeCaches();
    await (await loadBundle(base, {})).verified; // files enter the cache once their hashes matched
    const first = hits.length;
    expect(store.size).toBe(first - 1);
    hits.length = 0;
    const progress: LoadProgress[] = [];
    await (await loadBundle(base, { onProgress: (p) => progress.push(p) })).verified;
    expect(hits).toEqual(['manifest.json']);
    expect(progress.every((p) => p.fromCache)).toBe(true);
  });

  it('a changed manifest invalidates the cached files; cache: false bypasses the cache', async () => {
    const store = installFakeCaches();
    await (await loadBundle(base, {})).verified;
    hits.length = 0;
    const m = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as { training: unknown };
    m.training = { note: 'retrained' };
    manifestOverride = JSON.stringify(m);
    await (await loadBundle(base, {})).verified;
    expect(hits).toContain('layer_01.onnx');
    const versions = new Set([...store.keys()].map((k) => new URL(k).searchParams.get('mrr-v')));
    expect(versions.size).toBe(1); // the old export's files were dropped
    hits.length = 0;
    await loadBundle(base, { cache: false });
    expect(hits).toContain('adapters.safetensors');
  });

  it('a damaged copy in the cache is dropped and fetched again; a damaged download is refused and not cached', async () => {
    const store = installFakeCaches();
    await (await loadBundle(base, {})).verified;
    const key = [...store.keys()].find((k) => k.includes('/layer_02.weights'))!;
    const bad = new Uint8Array(store.get(key)!);
    bad[100] = bad[100]! ^ 0xff;
    store.set(key, bad);
    hits.length = 0;
    await (await loadBundle(base, {})).verified;
    expect(hits).toEqual(['manifest.json', 'layer_02.weights']);
    expect(store.get(key)).toEqual(new Uint8Array(readFileSync(join(TINY, 'layer_02.weights'))));
    // the server now sends a damaged file: the load fails naming it, and the cache keeps no copy
    store.clear();
    const m = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
    m.files['compress.onnx']!.sha256 = '0'.repeat(64);
    manifestOverride = JSON.stringify(m);
    const b = await loadBundle(base, {});
    await expect(b.verified).rejects.toThrow(/bundle file compress\.onnx at http:\/\/127\.0\.0\.1:\d+\/tiny\/ is damaged: its SHA-256 is [0-9a-f]{64}, manifest\.json says 0{64}/);
    expect([...store.keys()].some((k) => k.includes('/compress.onnx'))).toBe(false);
  });

  it('names a missing file and its URL', async () => {
    missing.add('compress.onnx');
    const err = await loadBundle(base, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/compress\.onnx not found at http:\/\/127\.0\.0\.1:\d+\/tiny\/compress\.onnx \(HTTP 404\)/);
  });

  it('names an unreachable server', async () => {
    await expect(loadBundle('http://127.0.0.1:1/nothing', {})).rejects.toThrow(/cannot fetch bundle file manifest\.json/);
  });

  it('rejects a corrupt manifest with the field at fault', async () => {
    const m = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as { exits: unknown };
    m.exits = [2, 9];
    manifestOverride = JSON.stringify(m);
    await expect(loadBundle(base, {})).rejects.toThrow(/field "exits" must be a non-empty array of layers in \[1, 4\]/);
    manifestOverride = '{ not json';
    await expect(loadBundle(base, {})).rejects.toThrow(/manifest\.json is not valid JSON/);
  });
});
