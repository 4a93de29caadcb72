/**
 * Browser checks of the runtime on the tiny fixture: worker + WASM parity, Cache API reuse on
 * reload, worker + WebGPU parity (hidden states stay in GPU buffers), progressive exactness on
 * WebGPU, and `auto` backend resolution. Results land on `window.runtimeResult`.
 */
import { createReranker, createWorkerReranker, type RerankerInterface } from '../../src/index';
import * as ort from 'onnxruntime-web';
import { CACHE_NAME } from '../../src/cache';
import type { LoadProgress, RerankConfig } from '../../src/types';

interface Golden { tolerance: number; cases: { config: RerankConfig; query: string; passages: string[]; scores: number[] }[] }
const model = '/test/fixtures/tiny';

async function parity(rr: RerankerInterface, golden: Golden): Promise<number> {
  let worst = 0;
  for (const c of golden.cases) {
    const r = await rr.rank(c.query, c.passages, { config: c.config });
    for (const x of r.results) worst = Math.max(worst, Math.abs(x.score - c.scores[x.index]!));
  }
  return worst;
}

async function progressiveGap(rr: RerankerInterface, golden: Golden): Promise<number> {
  const c = golden.cases[0]!;
  const passages = [...c.passages, 'mice and genes', 'unrelated football text', ''];
  const p = await rr.rankProgressive(c.query, passages, { stages: [{ depth: 2, keep: 4 }, { depth: 3 }], compress: { layers: [3], ratio: 2 } });
  const direct = await rr.rank(c.query, passages, { config: { depth: 3, compress: { layers: [3], ratio: 2 } } });
  const ref = new Map(direct.results.map((x) => [x.index, x.score]));
  const st = p.stages[1]!;
  return Math.max(...st.results.slice(0, st.scored).map((x) => Math.abs(x.score - ref.get(x.index)!)));
}

/**
 * Crash the worker, then destroy its GPU device, each mid-call: pending calls reject with the
 * named error and the next call re-spawns a working worker.
 */
async function workerFailures(golden: Golden): Promise<Record<string, unknown>> {
  const spawned: Worker[] = [];
  const w = await createWorkerReranker({
    model, backend: 'webgpu',
    createWorker: () => {
      const worker = new Worker(new URL('./runtime-lossy-worker.ts', import.meta.url), { type: 'module' });
      spawned.push(worker);
      return worker;
    },
  });
  const many = Array.from({ length: 400 }, (_, i) => `passage ${i} about genes`);
  const out: Record<string, unknown> = {};
  for (const test of ['crash', 'lose-device']) {
    const pending = [w.rank('genes', many), w.rank('genes', ['queued'])];
    spawned[spawned.length - 1]!.postMessage({ test });
    const settled = await Promise.all(pending.map((p) => p.then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`)));
    console.log(`worker ${test}: ${settled.join(' | ')}`);
    out[test] = settled.map((m) => m.split(':')[0]);
    out[`${test}:worstAfter`] = await parity(w, golden);
  }
  out.workersSpawned = spawned.length;
  out.backendAfter = (await w.info()).backend;
  await w.dispose();
  return out;
}

async function run(): Promise<Record<string, unknown>> {
  await caches.delete(CACHE_NAME); // start cold even if the page was reloaded (vite dep optimization)
  const golden = (await (await fetch(`${model}/golden.json`)).json()) as Golden;
  const out: Record<string, unknown> = { tolerance: golden.tolerance };
  const progress: LoadProgress[] = [];
  const onProgress = (p: LoadProgress) => { progress.push(p); };

  let w = await createWorkerReranker({ model, backend: 'wasm', onProgress });
  out.wasmWorker = { backend: (await w.info()).backend, worst: await parity(w, golden), firstLoadFromCache: progress.some((p) => p.fromCache) };
  await w.dispose();

  progress.length = 0;
  w = await createWorkerReranker({ model, backend: 'wasm', onProgress });
  out.reloadFromCache = progress.length > 0 && progress.every((p) => p.fromCache);
  await w.dispose();

  const gpu = 'gpu' in navigator ? await (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu.requestAdapter() : null;
  out.hasWebGPU = !!gpu;
  if (gpu) {
    w = await createWorkerReranker({ model, backend: 'webgpu' });
    out.webgpuWorker = { backend: (await w.info()).backend, worst: await parity(w, golden), progressiveGap: await progressiveGap(w, golden) };
    await w.dispose();
    console.log('webgpu worker parity done');
    out.workerFailures = await workerFailures(golden);
  }
  // auto on a software-only adapter (SwiftShader here) must choose WASM and say why.
  const a = await createReranker({ model, backend: 'auto' });
  out.auto = await a.info().then((i) => ({ backend: i.backend, reason: i.reason }));
  await a.dispose();
  const e = await createReranker({ model, backend: gpu ? 'webgpu' : 'wasm' });
  if (gpu) {
    // Lose the device under the in-thread engine: the next call must fail with DeviceLostError.
    const device = (await ort.env.webgpu.device) as unknown as { destroy(): void };
    device.destroy();
    await new Promise((r) => setTimeout(r, 100));
    out.afterDeviceLoss = await e.rank('q', ['a']).then(() => 'resolved', (err: Error) => `${err.name}: ${err.message}`);
  }
  await e.dispose();
  return out;
}

run().then(
  (r) => { (window as unknown as { runtimeResult: unknown }).runtimeResult = r; },
  (e: unknown) => { (window as unknown as { runtimeResult: unknown }).runtimeResult = { error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) }; },
);
