import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

/** The harness itself: cross-origin isolation (threaded WASM) and a WebGPU adapter (SwiftShader). */
export const tests = {
  async 'page is cross-origin isolated and has a WebGPU adapter'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/e2e/pages/smoke.html`, { timeout: NAV_TIMEOUT_MS });
    const r = await page.waitForFunction(() => (window as unknown as { smoke?: object }).smoke).then((h) => h.jsonValue());
    assert.deepEqual(r, { isolated: true, webgpu: true });
    await page.close();
  },
};
