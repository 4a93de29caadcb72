/**
 * What an app can ask of the model cache: is this model stored (`isCached`), drop it
 * (`clearCache`), and keep it under storage pressure (`requestPersistentStorage`, in
 * src/cache.ts). The cache is the browser's Cache API, shared by the page and its workers, so
 * these work on the main thread whichever thread loaded the model.
 */
import { locateModel, readManifest, type LoadOptions } from './bundle';
import { bundleFiles } from './manifest';
import { CACHE_NAME, cacheGet, cacheKey, deleteModelEntries, isInlineUrl, openCache } from './cache';
import type { ModelSource } from './types';

/**
 * True when every file of `model`'s current version (the one its server's manifest.json
 * describes) is in the cache, so loading it downloads nothing but manifest.json. Reads
 * manifest.json (a few kB); a model that cannot be reached rejects with BundleError. Always
 * false where the Cache API is missing (Node, insecure origins) and for local folders.
 */
export async function isCached(model: ModelSource, options: Pick<LoadOptions, 'fetch'> = {}): Promise<boolean> {
  const cache = await openCache();
  if (!cache) return false;
  const [{ manifest, version }, locator] = await Promise.all([readManifest(model, options), locateModel(model)]);
  for (const file of bundleFiles(manifest)) {
    const where = locator.locate(file);
    if (where.kind !== 'url') return false;
    if (isInlineUrl(where.url)) continue;
    if (!(await cacheGet(cache, cacheKey(where.url, locator.id, version)))) return false;
  }
  return true;
}

/**
 * Delete the cached files of `model` (every version); without `model`, the whole cache of this
 * library. Resolves with the number of cached files deleted. Needs no network. A reranker
 * already loaded keeps working (its model is in memory); the next load downloads again.
 */
export async function clearCache(model?: ModelSource): Promise<number> {
  if (model === undefined) {
    const cache = await openCache();
    if (!cache) return 0;
    const n = (await cache.keys().catch(() => [])).length;
    await caches.delete(CACHE_NAME).catch(() => false);
    return n;
  }
  const locator = await locateModel(model);
  return deleteModelEntries(await openCache(), locator.id, null);
}
