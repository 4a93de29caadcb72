import { strict as assert } from 'node:assert';
import { NAV_TIMEOUT_MS, type E2EContext } from './run';

interface Choice {
  error?: string;
  backend: string;
  reason: string;
  ranked: number;
  measurement: { probe?: string; webgpuMs?: number; wasmMs?: number; canary?: { passed: boolean; maxAbsDiff: number; tolerance: number; rows: number } } | null;
}

async function choose({ browser, baseUrl }: E2EContext, tamper: boolean): Promise<Choice> {
  const page = await browser.newPage();
  const logs: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => { logs.push(m.text()); if (m.type() === 'error') errors.push(m.text()); });
  try {
    if (tamper) {
      // The network hands the page a golden file whose scores are off by 0.5: what a broken
      // fp16 kernel or driver would produce against the real one. Only the first request is
      // tampered: the backend measurement's own read (right after manifest.json); the bundle's
      // copy (read after the tokenizer, embeddings, compression and adapters) is checked against the manifest's size and SHA-256
      // and must stay intact, or the whole bundle is refused as damaged (src/integrity.ts).
      let served = 0;
      await page.route('**/test/fixtures/tiny/golden.json', async (route) => {
        if (served++ > 0) return route.continue();
        const res = await route.fetch();
        const g = (await res.json()) as { cases: { scores: number[] }[] };
        for (const c of g.cases) c.scores = c.scores.map((s) => s + 0.5);
        await route.fulfill({ response: res, json: g });
      });
    }
    // The first page of a run waits for vite to optimize dependencies: allow for a slow machine.
    await page.goto(`${baseUrl}/e2e/pages/backend-choice.html`, { waitUntil: 'domcontentloaded', timeout: NAV_TIMEOUT_MS });
    const h = await page.waitForFunction(() => (window as unknown as { backendChoice?: object }).backendChoice, undefined, { timeout: 180_000 });
    const r = (await h.jsonValue()) as Choice;
    assert.equal(r.error, undefined, `${r.error}\n${logs.join('\n')}`);
    // WebGPU sessions were created (canary, probe): onnxruntime's placement notes must not
    // reach the console at error level.
    assert.deepEqual(errors, [], 'no console errors while creating WebGPU sessions');
    return r;
  } finally {
    await page.close();
  }
}

/** `auto` measuring WebGPU: the canary against golden rows and the WebGPU-vs-WASM timing probe. */
export const tests = {
  async 'backend choice: a WebGPU canary mismatch falls back to WASM with the reason'(ctx: E2EContext) {
    const r = await choose(ctx, true);
    console.log(`     tampered golden: ${r.backend}: ${r.reason}`);
    assert.equal(r.backend, 'wasm');
    assert.match(r.reason, /WebGPU canary mismatch .*max \|score - golden\| = 0\.5\d* over \d+ golden rows \(tolerance 0\.05\): using WASM/);
    assert.equal(r.measurement?.canary?.passed, false);
    assert.ok(r.ranked === 2, 'the WASM fallback ranks');
  },

  async 'backend choice: with a passing canary the faster of WebGPU and WASM wins, with the numbers'(ctx: E2EContext) {
    const r = await choose(ctx, false);
    console.log(`     measured: ${r.backend}: ${r.reason}`);
    const m = r.measurement!;
    assert.equal(m.canary?.passed, true, 'SwiftShader matches the golden scores');
    assert.ok(m.canary!.maxAbsDiff < 1e-3);
    assert.ok(typeof m.webgpuMs === 'number' && typeof m.wasmMs === 'number', 'both backends timed');
    assert.equal(r.backend, m.webgpuMs! <= m.wasmMs! ? 'webgpu' : 'wasm', 'the faster one wins');
    assert.match(r.reason, /rows at d2: WebGPU .* ms, WASM .* ms, canary passed/);
  },
};
