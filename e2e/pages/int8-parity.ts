/**
 * The tiny int8 bundle (test/fixtures/tiny-int8) in Chromium, main thread:
 * - WASM runs its int8 graphs (integer kernels): every golden case against `scoresByPrecision.int8`;
 * - WebGPU (SwiftShader here) runs its dequantized twins (float compute from the same int8
 *   weights, src/layer-graphs.ts): the load canary passes, every case against the float `scores`;
 * - `auto` (software adapter allowed) measures WebGPU (twins) against WASM (int8 graphs);
 * - the same bundle without `graphs.dequantized` (a manifest edited in the page): WebGPU is
 *   refused with a BackendError, `auto` takes WASM.
 * Results land on `window.int8Result`.
 */
import { BackendError, createReranker, type RerankConfig } from '../../src/index';
import type { ModelFiles } from '../../src/types';

const model = '/test/fixtures/tiny-int8';
interface Golden {
  tolerance: number;
  precisions: { int8: { tolerance: number } };
  cases: { name: string; config: RerankConfig; query: string; passages: string[]; scores: number[]; scoresByPrecision: { int8: number[] } }[];
}

/** Every golden case's scores (by passage index) on `backend`. */
async function scoreAll(backend: 'wasm' | 'webgpu', golden: Golden) {
  // batchSize 1 on WASM: golden.json's int8 scores are per row (the activation rounding's range is the batch's)
  const rr = await createReranker({ model, backend, cache: false, numThreads: 1, ...(backend === 'wasm' ? { batchSize: 1 } : {}) });
  try {
    await rr.loaded(); // the load-time canary
    const scores: number[][] = [];
    for (const c of golden.cases) {
      const r = await rr.rank(c.query, c.passages, { config: c.config });
      const s = new Array<number>(c.passages.length).fill(NaN);
      for (const x of r.results) s[x.index] = x.score;
      scores.push(s);
    }
    const info = await rr.info();
    return { backend: info.backend, canaryWorst: rr.loadReport?.canary.worstDiff ?? null, scores };
  } finally {
    await rr.dispose();
  }
}

const worst = (a: number[][], b: number[][]): number => Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i]![j]!))));

/** The fixture as a file map whose manifest lacks `graphs.dequantized` (an int8 bundle from before the twins). */
async function withoutTwins(): Promise<ModelFiles> {
  const m = (await (await fetch(`${model}/manifest.json`)).json()) as { graphs: Record<string, unknown>; files: Record<string, unknown> };
  delete m.graphs.dequantized;
  const files: Record<string, string> = { 'manifest.json': URL.createObjectURL(new Blob([JSON.stringify(m)], { type: 'application/json' })) };
  for (const f of Object.keys(m.files)) files[f] = new URL(`${model}/${f}`, location.href).href;
  return { name: 'tiny-int8-without-twins', files };
}

async function run(): Promise<Record<string, unknown>> {
  const golden = (await (await fetch(`${model}/golden.json`)).json()) as Golden;
  const float = golden.cases.map((c) => c.scores);
  const int8 = golden.cases.map((c) => c.scoresByPrecision.int8);
  const wasm = await scoreAll('wasm', golden);
  const webgpu = await scoreAll('webgpu', golden);
  // what separates the two paths: the int8 graphs' activation rounding (golden int8 - golden float)
  const expectedGap = golden.cases.map((c) => c.scores.map((s, j) => c.scoresByPrecision.int8[j]! - s));
  const gap = wasm.scores.map((row, i) => row.map((x, j) => x - webgpu.scores[i]![j]!));
  const auto = await createReranker({ model, backend: 'auto', allowSoftwareAdapter: true, cache: false, numThreads: 1 });
  const autoInfo = await auto.info();
  await auto.loaded();
  await auto.dispose();
  const old = await withoutTwins();
  const refused = await createReranker({ model: old, backend: 'webgpu', cache: false, numThreads: 1 }).then(
    async (rr) => { await rr.dispose(); return 'loaded'; },
    (e: unknown) => `${e instanceof BackendError ? 'BackendError' : (e as Error).name}: ${(e as Error).message}`);
  const oldAuto = await createReranker({ model: old, backend: 'auto', allowSoftwareAdapter: true, cache: false, numThreads: 1 });
  const oldAutoInfo = await oldAuto.info();
  await oldAuto.loaded();
  await oldAuto.dispose();
  return {
    cases: golden.cases.length, rows: float.flat().length,
    tolerance: golden.tolerance, int8Tolerance: golden.precisions.int8.tolerance,
    wasm: { backend: wasm.backend, canaryWorst: wasm.canaryWorst, worstInt8: worst(wasm.scores, int8), worstFloat: worst(wasm.scores, float) },
    webgpu: { backend: webgpu.backend, canaryWorst: webgpu.canaryWorst, worstFloat: worst(webgpu.scores, float), worstInt8: worst(webgpu.scores, int8) },
    gap: { max: Math.max(...gap.flat().map(Math.abs)), offExpected: worst(gap, expectedGap) },
    auto: { backend: autoInfo.backend, reason: autoInfo.reason, canary: autoInfo.measurement?.canary ?? null },
    withoutTwins: { webgpu: refused, auto: { backend: oldAutoInfo.backend, reason: oldAutoInfo.reason } },
  };
}

run().then(
  (r) => { (window as unknown as { int8Result: unknown }).int8Result = r; },
  (e: unknown) => { (window as unknown as { int8Result: unknown }).int8Result = { error: String((e as Error).stack ?? e) }; },
);
