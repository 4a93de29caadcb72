import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

interface Side { backend: string; cases: number; worst: number }
interface ParityResult { error?: string; tolerance: number; cases: number; wasm: Side; webgpu: Side | null }

/** The shipped model matches PyTorch's golden scores in Chromium on WASM and WebGPU, every golden configuration. */
export const tests = {
  async 'shipped bundle: golden parity in a worker on WASM and WebGPU (SwiftShader)'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    const logs: string[] = []; // uncaught page errors (ORT's own console warnings are not failures)
    page.on('console', (m) => { if (process.env.E2E_VERBOSE) console.log(`     ${m.text()}`); });
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${baseUrl}/e2e/pages/shipped-parity.html`, { timeout: NAV_TIMEOUT_MS });
    const h = await page.waitForFunction(() => (window as unknown as { parityResult?: object }).parityResult, undefined, { timeout: 540_000 });
    const r = (await h.jsonValue()) as ParityResult;
    await page.close();
    console.log(`     wasm: ${r.wasm?.cases} cases, max |diff| ${r.wasm?.worst?.toExponential(2)}; webgpu: ${r.webgpu?.cases} cases, max |diff| ${r.webgpu?.worst?.toExponential(2)}`);
    assert.equal(r.error, undefined, `${r.error}\n${logs.join('\n')}`);
    assert.ok(r.cases >= 10, 'golden.json carries at least 10 configurations');
    assert.equal(r.wasm.backend, 'wasm');
    assert.equal(r.wasm.cases, r.cases);
    assert.ok(r.wasm.worst < r.tolerance, `WASM parity ${r.wasm.worst}`);
    assert.ok(r.webgpu, 'the harness provides WebGPU (SwiftShader)');
    assert.equal(r.webgpu.backend, 'webgpu');
    assert.equal(r.webgpu.cases, r.cases);
    assert.ok(r.webgpu.worst < r.tolerance, `WebGPU parity ${r.webgpu.worst}`);
    assert.deepEqual(logs, []);
  },
};
