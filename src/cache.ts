/**
 * Browser Cache API storage for bundle files, so a reload does not refetch them. Entries are
 * keyed by file URL plus a version (a hash of manifest.json), so a re-exported bundle at the
 * same URL is fetched again. Where the Cache API is missing (Node, insecure origins) every
 * function degrades to "no cache".
 */

export const CACHE_NAME = 'matryoshka-reranker-v1';

/** The Cache API's cache, or null where unavailable. */
export async function openCache(name = CACHE_NAME): Promise<Cache | null> {
  try {
    if (typeof caches === 'undefined') return null;
    return await caches.open(name);
  } catch {
    return null; // e.g. opaque origins, private mode quotas
  }
}

/** Cache key of `url` for bundle version `version`. */
export function cacheKey(url: string, version: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}mrr-v=${encodeURIComponent(version)}`;
}

export async function cacheGet(cache: Cache | null, key: string): Promise<Response | null> {
  if (!cache) return null;
  try {
    return (await cache.match(key)) ?? null;
  } catch {
    return null;
  }
}

/** Store bytes; failures (quota) are ignored: the cache is an optimization. */
export async function cachePut(cache: Cache | null, key: string, bytes: Uint8Array): Promise<void> {
  if (!cache) return;
  try {
    const body = new Blob([bytes as Uint8Array<ArrayBuffer>]);
    await cache.put(key, new Response(body, { headers: { 'content-length': String(bytes.byteLength) } }));
  } catch {
    /* quota exceeded or storage disabled: keep going without caching */
  }
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

/** Delete cached files under `base` whose version is not `version` (older bundle exports). */
export async function pruneVersions(cache: Cache | null, base: string, version: string): Promise<void> {
  if (!cache) return;
  try {
    for (const req of await cache.keys()) {
      const url = new URL(req.url);
      const v = url.searchParams.get('mrr-v');
      if (v !== null && v !== version && req.url.startsWith(base)) await cache.delete(req);
    }
  } catch {
    /* best effort */
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
