import { strict as assert } from 'node:assert';
import type { E2EContext } from './run.ts';

interface RuntimeResult {
  error?: string;
  tolerance: number;
  wasmWorker: { backend: string; worst: number; firstLoadFromCache: boolean };
  reloadFromCache: boolean;
  hasWebGPU: boolean;
  webgpuWorker?: { backend: string; worst: number; progressiveGap: number };
  auto: { backend: string; reason: string };
}

/** The runtime in Chromium: Web Worker + WASM, Cache API, WebGPU (SwiftShader) parity. */
export const tests = {
  async 'runtime: worker parity on WASM and WebGPU, cached reload, progressive exactness'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${baseUrl}/e2e/pages/runtime.html`);
    const handle = await page.waitForFunction(() => (window as unknown as { runtimeResult?: object }).runtimeResult, undefined, { timeout: 240_000 });
    const r = (await handle.jsonValue()) as RuntimeResult;
    await page.close();
    console.log(`     runtime: ${JSON.stringify(r)}`);
    assert.equal(r.error, undefined, `${r.error}\n${logs.join('\n')}`);
    assert.equal(r.wasmWorker.backend, 'wasm');
    assert.ok(r.wasmWorker.worst < r.tolerance, `WASM parity ${r.wasmWorker.worst}`);
    assert.equal(r.wasmWorker.firstLoadFromCache, false);
    assert.equal(r.reloadFromCache, true, 'second load should come from the Cache API');
    assert.ok(r.hasWebGPU, 'the harness provides a WebGPU adapter (SwiftShader)');
    assert.equal(r.webgpuWorker?.backend, 'webgpu');
    assert.ok(r.webgpuWorker!.worst < r.tolerance, `WebGPU parity ${r.webgpuWorker!.worst}`);
    assert.ok(r.webgpuWorker!.progressiveGap < 1e-4, `progressive vs direct on WebGPU ${r.webgpuWorker!.progressiveGap}`);
    assert.equal(r.auto.backend, 'webgpu');
  },
};
