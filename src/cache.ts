/**
 * Browser Cache API storage for bundle files, so a reload does not refetch them. Each entry is
 * keyed by the file's URL plus the model's identity (`mrr-m`: its folder URL, or the `name` of
 * a file map) and the bundle version (`mrr-v`: a hash of manifest.json), so a re-exported bundle
 * at the same URL is fetched again and the older copy is dropped.
 *
 * A bundle is stored whole or not at all: files are written after the whole bundle was read,
 * and if storage runs out part-way, what was written of that version is removed again and a
 * `StorageFullError` says how to make room. Where the Cache API is missing (Node, insecure
 * origins) every function degrades to "no cache".
 */
import { StorageFullError } from './errors';

export const CACHE_NAME = 'matryoshka-reranker-v2';
/** Caches of earlier releases (other key format): deleted when the cache is opened. */
const OLD_CACHE_NAMES = ['matryoshka-reranker-v1'];

/** The Cache API's cache, or null where unavailable. */
export async function openCache(name = CACHE_NAME): Promise<Cache | null> {
  try {
    if (typeof caches === 'undefined') return null;
    for (const old of OLD_CACHE_NAMES) void caches.delete?.(old)?.catch(() => {});
    return await caches.open(name);
  } catch {
    return null; // e.g. opaque origins, storage disabled
  }
}

/** URLs that are not worth caching: the bytes are in the URL itself (bundler-inlined files). */
export const isInlineUrl = (url: string): boolean => /^(data|blob):/i.test(url);

/** Cache key of `url`, a file of model `modelId` at bundle version `version`. */
export function cacheKey(url: string, modelId: string, version: string): string {
  const params = `mrr-m=${encodeURIComponent(modelId)}&mrr-v=${encodeURIComponent(version)}`;
  return `${url}${url.includes('?') ? '&' : '?'}${params}`;
}

/** The `mrr-m` / `mrr-v` of a cache key (null for keys this library did not write). */
export function parseCacheKey(key: string): { modelId: string; version: string } | null {
  try {
    const p = new URL(key).searchParams;
    const modelId = p.get('mrr-m');
    const version = p.get('mrr-v');
    return modelId !== null && version !== null ? { modelId, version } : null;
  } catch {
    return null;
  }
}

export async function cacheGet(cache: Cache | null, key: string): Promise<Response | null> {
  if (!cache) return null;
  try {
    return (await cache.match(key)) ?? null;
  } catch {
    return null;
  }
}

/** True for the errors browsers throw when an origin's storage quota is exhausted. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  const code = (e as { code?: unknown } | null)?.code;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

/** Usage and quota of this origin's storage, where the browser tells them. */
async function storageEstimate(): Promise<{ usage?: number; quota?: number }> {
  try {
    const est = await globalThis.navigator?.storage?.estimate?.();
    return est ?? {};
  } catch {
    return {};
  }
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** The StorageFullError for a bundle that did not fit. */
export async function storageFullError(modelId: string, file: string, bytesNeeded: number, cause: unknown): Promise<StorageFullError> {
  const { usage, quota } = await storageEstimate();
  const room = usage !== undefined && quota !== undefined ? `; this site uses ${mb(usage)} of its ${mb(quota)} quota` : '';
  return new StorageFullError(
    `MatryoshkaReranker: browser storage is full: the model ${modelId} (${mb(bytesNeeded)}) could not be cached ` +
    `(writing ${file} failed${room}). The model loaded and runs, but will be downloaded again next time. ` +
    'To make room: call clearCache() for models you no longer use, ask the user to free disk space or clear ' +
    'this site\'s data, or request persistent storage (option persistStorage, or requestPersistentStorage() on a user gesture), ' +
    'which raises the quota in some browsers; or pass cache: false to stop trying.',
    { cause },
  );
}

/**
 * Store `entries` (key, bytes) as one unit. On quota exhaustion every entry already written is
 * deleted again and a StorageFullError is returned; other failures (storage disabled) are
 * ignored: the cache is an optimization. Returns null when stored (or nothing to store).
 */
export async function cachePutAll(
  cache: Cache | null, modelId: string, entries: [file: string, key: string, bytes: Uint8Array][],
): Promise<StorageFullError | null> {
  if (!cache || entries.length === 0) return null;
  const written: string[] = [];
  for (const [file, key, bytes] of entries) {
    try {
      const body = new Blob([bytes as Uint8Array<ArrayBuffer>]);
      await cache.put(key, new Response(body, { headers: { 'content-length': String(bytes.byteLength) } }));
      written.push(key);
    } catch (e) {
      for (const k of written) await cache.delete(k).catch(() => false);
      if (!isQuotaError(e)) return null;
      const total = entries.reduce((s, [, , b]) => s + b.byteLength, 0);
      return storageFullError(modelId, file, total, e);
    }
  }
  return null;
}

/** Drop one entry (a damaged copy); failures are ignored. */
export async function cacheDelete(cache: Cache | null, key: string): Promise<void> {
  if (!cache) return;
  try {
    await cache.delete(key);
  } catch {
    /* best effort */
  }
}

/** Delete cached files of `modelId` whose version is not `keepVersion` (all of them when null). */
export async function deleteModelEntries(cache: Cache | null, modelId: string, keepVersion: string | null): Promise<number> {
  if (!cache) return 0;
  let n = 0;
  try {
    for (const req of await cache.keys()) {
      const k = parseCacheKey(req.url);
      if (k && k.modelId === modelId && k.version !== keepVersion && await cache.delete(req)) n++;
    }
  } catch {
    /* best effort */
  }
  return n;
}

/** Delete cached files of `modelId` whose version is not `version` (older bundle exports). */
export async function pruneVersions(cache: Cache | null, modelId: string, version: string): Promise<void> {
  await deleteModelEntries(cache, modelId, version);
}

/**
 * Ask the browser to keep this origin's storage under storage pressure
 * (`navigator.storage.persist()`). Resolves true when storage is (now) persistent, false when
 * the browser declined or cannot (Node, workers: `persist()` exists on the main thread only).
 * Browsers may grant it only after a user gesture or for installed / bookmarked sites.
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = globalThis.navigator?.storage;
  try {
    if (!storage) return false;
    if (await storage.persisted?.()) return true;
    return typeof storage.persist === 'function' ? await storage.persist() : false;
  } catch {
    return false;
  }
}

/** Short stable hash (FNV-1a 32-bit, hex) of a string: the bundle version from manifest.json. */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

