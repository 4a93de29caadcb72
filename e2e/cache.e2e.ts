/**
 * Cache control in Chromium's real Cache API and quota: isCached / clearCache around a worker
 * load, persistStorage, and a storage quota (lowered through the DevTools protocol below the
 * tiny bundle's size) that makes the load report a StorageFullError while it still succeeds,
 * leaving nothing half-cached.
 */
import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

interface LoadReport { cacheErrors: { name: string; isStorageFullError: boolean; message: string }[]; ranked: number }
interface CacheApi {
  isCached(): Promise<boolean>;
  clearCache(all?: boolean): Promise<number>;
  cachedEntries(): Promise<number>;
  persisted(): Promise<boolean>;
  requestPersistentStorage(): Promise<boolean>;
  load(persistStorage: boolean): Promise<LoadReport>;
}
type Win = { cacheApi: CacheApi };

export const tests = {
  async 'cache: isCached / clearCache / persistStorage, and StorageFullError when the quota is too small'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`) });
    page.on('pageerror', (e) => errors.push(e.message));
    const cdp = await page.context().newCDPSession(page);
    try {
      await page.goto(`${baseUrl}/e2e/pages/cache.html`, { timeout: NAV_TIMEOUT_MS });
      await page.waitForFunction(() => (window as unknown as Partial<Win>).cacheApi !== undefined, undefined, { timeout: 60_000 });
      const call = <T>(fn: (api: CacheApi) => Promise<T>): Promise<T> =>
        page.evaluate(`(${fn.toString()})(window.cacheApi)`) as Promise<T>;

      await call((a) => a.clearCache(true));
      assert.equal(await call((a) => a.isCached()), false, 'isCached before any load');
      const first = await call((a) => a.load(true));
      assert.deepEqual(first, { cacheErrors: [], ranked: 3 });
      assert.equal(await call((a) => a.isCached()), true, 'isCached after a load');
      const files = await call((a) => a.cachedEntries());
      assert.ok(files >= 10, `expected the tiny bundle's files in the cache, found ${files}`);
      // persistStorage asked the browser; whatever it answered, asking again reports the same state.
      assert.equal(await call((a) => a.requestPersistentStorage()), await call((a) => a.persisted()));

      assert.equal(await call((a) => a.clearCache()), files, 'clearCache(model) deletes every file of the model');
      assert.equal(await call((a) => a.isCached()), false, 'isCached after clearCache');

      // A quota smaller than the tiny bundle (3.6 MB): the load succeeds, the cache stays empty.
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: baseUrl, quotaSize: 1_000_000 });
      const full = await call((a) => a.load(false));
      assert.equal(full.ranked, 3, 'the model still loads and ranks when it cannot be cached');
      assert.equal(full.cacheErrors.length, 1, `one StorageFullError expected: ${JSON.stringify(full.cacheErrors)}`);
      const [e] = full.cacheErrors;
      assert.equal(e!.name, 'StorageFullError');
      assert.equal(e!.isStorageFullError, true, 'revived as the StorageFullError class on the main thread');
      assert.match(e!.message, /storage is full: the model .*tiny.* could not be cached \(writing \S+ failed; this site uses [\d.]+ MB of its [\d.]+ MB quota\).*clearCache\(\)/s);
      assert.equal(await call((a) => a.cachedEntries()), 0, 'nothing of the bundle stays cached');
      assert.equal(await call((a) => a.isCached()), false);
      console.log(`     ${e!.message}`);
      assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: baseUrl }).catch(() => {});
      await cdp.detach().catch(() => {});
      await page.close();
    }
  },
};
