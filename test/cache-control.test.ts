/**
 * Cache control in Node over HTTP, with a Map-backed stand-in for the Cache API that can run
 * out of space (the real Cache API and a real quota are exercised in Chromium by
 * e2e/cache.e2e.ts): isCached / clearCache per model, a ModelFiles map, a bundle stored whole or
 * not at all, StorageFullError through onCacheError, and integrity (the manifest's sha256 per
 * file): a flipped byte is refused with a BundleError naming the file, never cached, and a
 * damaged cached copy is dropped and fetched again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../src/bundle';
import { bundleFiles } from '../src/manifest';
import { CACHE_NAME } from '../src/cache';
import { clearCache, isCached } from '../src/cache-control';
import { BundleError, MatryoshkaError, OptionsError, StorageFullError } from '../src/errors';
import { resolveOptions } from '../src/options';
import type { ModelFiles } from '../src/types';
import { TINY, installFakeCaches as installCaches, startServer, tinyManifest, type TestServer } from './helpers';

let server: TestServer;
let origin: string;
const hits: string[] = [];
/** Files served with one byte flipped (a damaged download). */
const flip = new Set<string>();

beforeAll(async () => {
  // /a/<file> and /b/<file> serve the tiny bundle (two models); /hashed/<file>-x serves it under other names.
  server = await startServer((path) => {
    const file = path.replace(/^\/(a|b|hashed)\//, '').replace(/-x$/, '');
    hits.push(path);
    const body = readFileSync(join(TINY, file));
    if (flip.has(file)) body[body.byteLength >> 1]! ^= 0x01;
    return body;
  });
  origin = server.origin;
});
afterAll(() => server.close());

afterEach(() => {
  delete (globalThis as { caches?: unknown }).caches;
  hits.length = 0;
  flip.clear();
});

/** Load as the engine does: the bundle, then its `verified` promise (hashes, then the cache write). */
async function load(...args: Parameters<typeof loadBundle>): Promise<Awaited<ReturnType<typeof loadBundle>>> {
  const bundle = await loadBundle(...args);
  await bundle.verified;
  return bundle;
}

const files = ['manifest.json', ...bundleFiles(tinyManifest())];
const tinyBytes = files.slice(1).reduce((s, f) => s + readFileSync(join(TINY, f)).byteLength, 0);

describe('isCached / clearCache', () => {
  it('follow a load and a clear, per model', async () => {
    const store = installCaches();
    const a = `${origin}/a/`;
    const b = `${origin}/b`;
    expect(await isCached(a)).toBe(false);
    await load(a);
    await load(b);
    expect(store.size).toBe(2 * (files.length - 1));
    expect(await isCached(a)).toBe(true);
    expect(await isCached(`${origin}/a`)).toBe(true); // the same folder without the slash
    hits.length = 0;
    await load(a);
    expect(hits).toEqual(['/a/manifest.json']); // isCached true: only manifest.json is fetched

    expect(await clearCache(a)).toBe(files.length - 1);
    expect(await isCached(a)).toBe(false);
    expect(await isCached(b)).toBe(true); // the other model is kept
    expect(await clearCache()).toBe(files.length - 1);
    expect(await isCached(b)).toBe(false);
  });

  it('isCached is false when one file is missing from the cache', async () => {
    const store = installCaches();
    await load(`${origin}/a/`);
    const key = [...store.keys()].find((k) => k.includes('/a/layer_02.onnx'))!;
    store.delete(key);
    expect(await isCached(`${origin}/a/`)).toBe(false);
  });

  it('are false / 0 without the Cache API, and isCached names an unreachable model', async () => {
    expect(await isCached(`${origin}/a/`)).toBe(false);
    expect(await clearCache(`${origin}/a/`)).toBe(0);
    installCaches();
    await expect(isCached(`${origin}/nothing/`)).rejects.toThrow(BundleError);
  });
});

describe('a ModelFiles map (the model package)', () => {
  const map = (name?: string): ModelFiles => ({
    ...(name ? { name } : {}),
    files: Object.fromEntries(files.map((f) => [f, `${origin}/hashed/${f}-x`])),
  });

  it('loads from per-file URLs, caches under its name, and isCached / clearCache take it', async () => {
    const store = installCaches();
    const m = map('@test/tiny');
    const bundle = await load(m);
    expect(bundle.manifest.name).toBe('tiny-random');
    expect(bundle.location).toBe('@test/tiny');
    expect(hits).toContain('/hashed/layer_03.weights-x');
    expect([...store.keys()].every((k) => new URL(k).searchParams.get('mrr-m') === '@test/tiny')).toBe(true);
    expect(await isCached(m)).toBe(true);
    expect(await clearCache(m)).toBe(files.length - 1);
    expect(await isCached(m)).toBe(false);
  });

  it('names a file the map lacks; the option check names a map without manifest.json', async () => {
    const m = map();
    delete m.files['layer_04.weights'];
    await expect(load(m)).rejects.toThrow(/no entry for layer_04\.weights/);
    expect(() => resolveOptions({ model: { files: { 'x.onnx': 'x' } } })).toThrow(OptionsError);
    expect(() => resolveOptions({ model: { files: { 'manifest.json': 'm' } } })).not.toThrow();
  });
});

describe('storage full', () => {
  it('the load succeeds, nothing of the bundle stays cached, and onCacheError gets a StorageFullError saying how to fix it', async () => {
    const store = installCaches(Math.floor(tinyBytes / 2));
    const errors: MatryoshkaError[] = [];
    const bundle = await load(`${origin}/a/`, { onCacheError: (e) => errors.push(e) });
    expect(bundle.graphs.layers).toHaveLength(4);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StorageFullError);
    expect(errors[0]!.name).toBe('StorageFullError');
    expect(errors[0]!.message).toMatch(/storage is full.*could not be cached.*clearCache\(\).*persistStorage/s);
    expect(store.size).toBe(0); // whole or nothing: the part that fit was removed again
    expect(await isCached(`${origin}/a/`)).toBe(false);
  });

  it('without onCacheError the message goes to console.warn', async () => {
    installCaches(1000);
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => { warned.push(m); };
    try {
      await load(`${origin}/a/`);
    } finally {
      console.warn = warn;
    }
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/storage is full/);
  });

  it('other cache failures are not reported: the cache is an optimization', async () => {
    installCaches();
    const cache = await (globalThis as unknown as { caches: CacheStorage }).caches.open('x');
    cache.put = async () => { throw new DOMException('denied', 'SecurityError'); };
    const errors: unknown[] = [];
    await load(`${origin}/a/`, { onCacheError: (e) => errors.push(e) });
    expect(errors).toEqual([]);
  });
});

describe('integrity with the cache', () => {
  it('a flipped byte in a layer file: BundleError naming that file, and nothing is cached', async () => {
    const store = installCaches();
    flip.add('layer_02.weights');
    const err = await load(`${origin}/a/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/bundle file layer_02\.weights at .* is damaged: its SHA-256 is [0-9a-f]{64}, manifest\.json says [0-9a-f]{64}/);
    expect(store.size).toBe(0);
    expect(await isCached(`${origin}/a/`)).toBe(false);
  });

  it('the same through a ModelFiles map (the model package): the error names the file', async () => {
    flip.add('layer_01.onnx');
    const m: ModelFiles = { name: '@test/tiny', files: Object.fromEntries(files.map((f) => [f, `${origin}/hashed/${f}-x`])) };
    await expect(load(m)).rejects.toThrow(/bundle file layer_01\.onnx at @test\/tiny is damaged/);
  });

  it('a damaged cached copy is dropped and fetched again; the cache ends up healthy', async () => {
    const store = installCaches();
    await load(`${origin}/a/`);
    const key = [...store.keys()].find((k) => k.includes('/a/layer_03.weights'))!;
    store.get(key)![100]! ^= 0xff; // the stored copy rots
    hits.length = 0;
    const bundle = await load(`${origin}/a/`);
    expect(bundle.graphs.layerWeights).toHaveLength(4);
    expect(hits).toEqual(['/a/manifest.json', '/a/layer_03.weights']); // only the damaged file is refetched
    expect(Buffer.from(store.get(key)!).equals(readFileSync(join(TINY, 'layer_03.weights')))).toBe(true);
    expect(await isCached(`${origin}/a/`)).toBe(true);
  });
});
