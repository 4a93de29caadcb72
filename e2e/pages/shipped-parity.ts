/**
 * Golden parity of the SHIPPED bundle (models/minilm-l6-scifact) in Chromium: every golden
 * configuration, in a Web Worker, on WASM and on WebGPU (SwiftShader here). Results land on
 * `window.parityResult`. On WebGPU each case scores its first two passages (SwiftShader is slow).
 */
import { createWorkerReranker } from '../../src/index';
import type { RerankConfig } from '../../src/types';

interface Golden { tolerance: number; cases: { name: string; config: RerankConfig; query: string; passages: string[]; scores: number[] }[] }
const model = new URLSearchParams(location.search).get('model') ?? '/models/minilm-l6-scifact';

/** `passages`: how many of each case's passages to score (a row's score does not depend on its batch). */
async function parity(backend: 'wasm' | 'webgpu', golden: Golden, passages = Infinity) {
  const rr = await createWorkerReranker({ model, backend, cache: false });
  const perCase: Record<string, number> = {};
  for (const c of golden.cases) {
    const t0 = performance.now();
    const ps = c.passages.slice(0, passages);
    const r = await rr.rank(c.query, ps, { config: c.config });
    if (r.results.length !== ps.length) throw new Error(`${c.name}: ${r.results.length} results for ${ps.length} passages`);
    console.log(`${backend} ${c.name}: ${ps.length} passages, ${(performance.now() - t0).toFixed(0)} ms`);
    perCase[c.name] = Math.max(...r.results.map((x) => Math.abs(x.score - c.scores[x.index]!)));
  }
  const info = await rr.info();
  await rr.dispose();
  return { backend: info.backend, cases: Object.keys(perCase).length, worst: Math.max(...Object.values(perCase)), perCase };
}

async function run() {
  const golden = (await (await fetch(`${model}/golden.json`)).json()) as Golden;
  const out: Record<string, unknown> = { tolerance: golden.tolerance, cases: golden.cases.length, wasm: await parity('wasm', golden) };
  // SwiftShader runs WebGPU on the CPU ~50x slower than WASM: the two short passages of every case.
  out.webgpu = 'gpu' in navigator ? await parity('webgpu', golden, 2) : null;
  return out;
}

run().then(
  (r) => { (window as unknown as { parityResult: unknown }).parityResult = r; },
  (e: unknown) => { (window as unknown as { parityResult: unknown }).parityResult = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }; },
);
