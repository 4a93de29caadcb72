import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

interface Side { backend: string; canaryWorst: number | null; worstInt8: number; worstFloat: number }
interface Int8Result {
  error?: string;
  cases: number; rows: number; tolerance: number; int8Tolerance: number;
  wasm: Side; webgpu: Side;
  gap: { max: number; offExpected: number };
  auto: { backend: string; reason: string; canary: { passed: boolean; maxAbsDiff: number; rows: number } | null };
  withoutTwins: { webgpu: string; auto: { backend: string; reason: string } };
}

/** The tiny int8 bundle in Chromium: int8 graphs on WASM, their dequantized float twins on WebGPU (SwiftShader). */
export const tests = {
  async 'int8 bundle: WASM int8 parity, WebGPU dequantized-float parity, auto measures both, bundles without twins refused on WebGPU'({ browser, baseUrl }: E2EContext) {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => { if (process.env.E2E_VERBOSE) console.log(`     ${m.text()}`); });
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${baseUrl}/e2e/pages/int8-parity.html`, { timeout: NAV_TIMEOUT_MS });
    const h = await page.waitForFunction(() => (window as unknown as { int8Result?: object }).int8Result, undefined, { timeout: 300_000 });
    const r = (await h.jsonValue()) as Int8Result;
    await page.close();
    console.log(`     ${JSON.stringify(r)}`);
    assert.equal(r.error, undefined, `${r.error}\n${logs.join('\n')}`);
    assert.ok(r.cases >= 10 && r.rows >= 40, 'every golden case, every passage');
    // WASM: the int8 graphs, against PyTorch with the activation rounding simulated
    assert.equal(r.wasm.backend, 'wasm');
    assert.ok(r.wasm.canaryWorst !== null && r.wasm.canaryWorst < r.int8Tolerance, `WASM canary ${r.wasm.canaryWorst}`);
    assert.ok(r.wasm.worstInt8 < r.int8Tolerance, `WASM int8 parity ${r.wasm.worstInt8}`);
    // WebGPU: the dequantized twins, against PyTorch's float scores on the same int8-grid weights
    assert.equal(r.webgpu.backend, 'webgpu');
    assert.ok(r.webgpu.canaryWorst !== null && r.webgpu.canaryWorst < r.tolerance, `WebGPU canary ${r.webgpu.canaryWorst}`);
    assert.ok(r.webgpu.worstFloat < r.tolerance, `WebGPU dequantized parity ${r.webgpu.worstFloat} (tolerance ${r.tolerance})`);
    // really two paths: WASM and WebGPU differ by the int8 rounding, as PyTorch predicts it
    assert.ok(r.gap.max > 10 * r.tolerance, `WASM (int8) and WebGPU (float) scores should differ by the activation rounding, max gap ${r.gap.max}`);
    assert.ok(r.gap.offExpected < r.int8Tolerance, `gap off PyTorch's int8 - float by ${r.gap.offExpected}`);
    assert.ok(r.webgpu.worstInt8 > 10 * r.webgpu.worstFloat, 'WebGPU follows the float scores, not the int8 ones');
    // auto with the software adapter allowed: the twins pass the canary and are timed against WASM
    assert.ok(r.auto.canary?.passed, `auto canary on WebGPU: ${JSON.stringify(r.auto)}`);
    assert.match(r.auto.reason, /measured/);
    // an int8 bundle from before the twins: WebGPU refused with the fix, auto takes WASM
    assert.match(r.withoutTwins.webgpu, /^BackendError: .*bundle "tiny-int8-without-twins" \(file map\) is int8 .*without dequantized layer graphs.*re-export it with the current trainer/);
    assert.equal(r.withoutTwins.auto.backend, 'wasm');
    assert.match(r.withoutTwins.auto.reason, /without dequantized layer graphs/);
    assert.deepEqual(logs, []);
  },
};
