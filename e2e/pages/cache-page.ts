/**
 * Cache control in the browser (e2e/cache.e2e.ts drives it): the library's own functions on the
 * tiny fixture, exposed as `window.cacheApi` once the module has loaded.
 */
import {
  CACHE_NAME, clearCache, createWorkerReranker, isCached, requestPersistentStorage, StorageFullError,
} from '../../src/index';

const model = '/test/fixtures/tiny/';

const api = {
  isCached: () => isCached(model),
  clearCache: (all = false) => clearCache(all ? undefined : model),
  cachedEntries: async () => (await (await caches.open(CACHE_NAME)).keys()).length,
  persisted: () => navigator.storage.persisted(),
  requestPersistentStorage,
  /** Load the tiny model in the worker, rank once, dispose: what the load reported. */
  async load(persistStorage: boolean) {
    const cacheErrors: { name: string; isStorageFullError: boolean; message: string }[] = [];
    const rr = await createWorkerReranker({
      model, backend: 'wasm', numThreads: 1, persistStorage,
      onCacheError: (e) => cacheErrors.push({ name: e.name, isStorageFullError: e instanceof StorageFullError, message: e.message }),
    });
    try {
      const r = await rr.rank('mouse genes', ['genes of mice', 'football', 'cells']);
      return { cacheErrors, ranked: r.results.length };
    } finally {
      await rr.dispose();
    }
  },
};

(window as unknown as { cacheApi: typeof api }).cacheApi = api;
