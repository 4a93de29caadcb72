import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

interface RuntimeResult {
  error?: string;
  tolerance: number;
  wasmWorker: { backend: string; worst: number; firstLoadFromCache: boolean };
  reloadFromCache: boolean;
  hasWebGPU: boolean;
  webgpuWorker?: { backend: string; worst: number; progressiveGap: number };
  auto: { backend: string; reason: string };
  afterDeviceLoss?: string;
  workerFailures?: Record<string, string[] | number | string>;
}

/** The runtime in Chromium: Web Worker + WASM, Cache API, WebGPU (SwiftShader) parity. */
export const tests = {
  async 'runtime: worker parity on WASM and WebGPU, cached reload, progressive exactness, crash and device-loss recovery'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${baseUrl}/e2e/pages/runtime.html`, { timeout: NAV_TIMEOUT_MS });
    const handle = await page.waitForFunction(() => (window as unknown as { runtimeResult?: object }).runtimeResult, undefined, { timeout: 420_000 })
      .catch((e: unknown) => { throw new Error(`${String(e)}\npage log:\n${logs.join('\n')}`); });
    console.log(logs.filter((l) => l.startsWith('worker ')).map((l) => `     ${l}`).join('\n'));
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
    const f = r.workerFailures!;
    assert.deepEqual(f.crash, ['WorkerCrashedError', 'WorkerCrashedError'], 'pending calls reject when the worker crashes');
    assert.deepEqual(f['lose-device'], ['DeviceLostError', 'DeviceLostError'], 'pending calls reject when the worker loses its GPU device');
    assert.ok((f['crash:worstAfter'] as number) < r.tolerance && (f['lose-device:worstAfter'] as number) < r.tolerance, 'parity after re-spawn');
    assert.equal(f.workersSpawned, 3, 'each failure re-spawns the worker on the next call');
    assert.equal(f.backendAfter, 'webgpu');
    assert.equal(r.auto.backend, 'wasm', 'auto never picks the software adapter');
    assert.match(r.auto.reason, /software fallback .*using WASM/);
    assert.match(r.afterDeviceLoss ?? '', /^DeviceLostError: MatryoshkaReranker: the WebGPU device was lost/);
  },
};
