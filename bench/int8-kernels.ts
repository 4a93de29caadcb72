/**
 * int8 kernels on onnxruntime-web WASM in Node (issue 13): one layer graph (plain twin) and the
 * single full graph of a bundle, in float32 and in every int8 form (dynamic quantization:
 * DynamicQuantizeLinear + MatMulInteger with uint8/int8 weights, per tensor or per channel; and
 * QDQ static; for the full graph also `q8`, transformers.js's own q8 recipe: int8 per tensor, the
 * embeddings table too), timed interleaved (each round runs every variant, the order rotating), medians.
 *
 *   cd trainer && .venv/bin/python tools/int8_variants.py --bundle ../models/minilm-l6-scifact \
 *       --data ../../shared/datasets/scifact --out runs/int8-bench
 *   node --import tsx bench/int8-kernels.ts [--dir trainer/runs/int8-bench] [--runs 7] [--threads 1]
 *       [--bundles models/minilm-l6-scifact,trainer/runs/int8-shipped [--engine-only]]
 *
 * Prints per variant: median ms, ratio to float32, and the largest output change against float32
 * (layer: hidden_out and score; full graph: logits) on real scifact rows (batch 8 x ~200 tokens).
 * With `--bundles float,int8`, also the whole engine (src/engine.ts, WASM): the same query and
 * 8 passages ranked at the full configuration by each bundle, interleaved with one run of
 * transformers.js's q8 graph on the same rows (hf.q8.onnx: the kernels of the q8 peer, without
 * the library around them), and the largest score change. Times are printed, never asserted; the machine's load average is printed beside them.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { Engine } from '../src/engine';

interface Meta { shape: [number, number]; layer: number; variants: string[]; hfVariants?: string[]; bytes: Record<string, number> }

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: resolve(import.meta.dirname, '../trainer/runs/int8-bench') },
    runs: { type: 'string', default: '7' },
    threads: { type: 'string', default: '1' },
    only: { type: 'string' },
    bundles: { type: 'string' },
    'engine-only': { type: 'boolean', default: false },
  },
});
const dir = values.dir!;
const runs = Number(values.runs);
ort.env.wasm.numThreads = Number(values.threads);
ort.env.logLevel = 'error';

const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
const [B, T] = meta.shape;
const H = readFileSync(join(dir, 'hidden.f32')).byteLength / 4 / B / T;
const i64 = (f: string): BigInt64Array => { const b = readFileSync(join(dir, f)); return new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8); };
const f32 = (f: string): Float32Array => { const b = readFileSync(join(dir, f)); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };

const feeds: Record<string, Record<string, ort.Tensor>> = {
  layer: { hidden: new ort.Tensor('float32', f32('hidden.f32'), [B, T, H]), mask: new ort.Tensor('float32', f32('mask.f32'), [B, T]) },
  hf: {
    input_ids: new ort.Tensor('int64', i64('input_ids.i64'), [B, T]),
    attention_mask: new ort.Tensor('int64', i64('attention_mask.i64'), [B, T]),
    token_type_ids: new ort.Tensor('int64', i64('token_type_ids.i64'), [B, T]),
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function maxDiff(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

async function family(name: 'layer' | 'hf'): Promise<void> {
  const all = name === 'hf' ? meta.hfVariants ?? meta.variants : meta.variants;
  const variants = all.filter((v) => !values.only || v === 'fp32' || values.only.split(',').includes(v));
  const sessions = new Map<string, ort.InferenceSession>();
  for (const v of variants) {
    sessions.set(v, await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, `${name}.${v}.onnx`))),
      { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 }));
  }
  const outs = new Map<string, ort.InferenceSession.OnnxValueMapType>();
  for (const [v, s] of sessions) outs.set(v, await s.run(feeds[name]!)); // warm-up, and the outputs compared
  const times = new Map<string, number[]>(variants.map((v) => [v, []]));
  const loads: number[] = [];
  for (let r = 0; r < runs; r++) {
    loads.push(loadavg()[0]!);
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    for (const v of order) {
      const t0 = performance.now();
      await sessions.get(v)!.run(feeds[name]!);
      times.get(v)!.push(performance.now() - t0);
    }
  }
  const base = median(times.get('fp32')!);
  const ref = outs.get('fp32')!;
  console.log(`\n${name === 'layer' ? `layer ${meta.layer} (plain twin)` : 'full single graph (hf/)'}: batch ${B} x ${T} tokens, ${runs} interleaved rounds, load average ${median(loads).toFixed(1)} (1 min, median)`);
  console.log('variant | bytes | median ms | ratio to fp32 | max |diff| vs fp32');
  for (const v of variants) {
    const o = outs.get(v)!;
    const diffs = Object.keys(ref).filter((k) => k !== 'cls_attn').map((k) => `${k} ${maxDiff(ref[k]!, o[k]!).toFixed(4)}`).join(', ');
    const t = median(times.get(v)!);
    console.log(`${v.padEnd(5)} | ${(meta.bytes[`${name}.${v}.onnx`]! / 1e6).toFixed(1)} MB | ${t.toFixed(1)} | ${(t / base).toFixed(2)} | ${diffs}`);
  }
  for (const s of sessions.values()) await s.release();
}

console.log(`onnxruntime-web ${ort.env.versions.web} WASM, ${ort.env.wasm.numThreads} thread(s), dir ${dir}`);
/** The whole engine, bundle against bundle (the first is the reference). */
async function engines(bundles: string[]): Promise<void> {
  const { query, passages } = JSON.parse(readFileSync(join(dir, 'texts.json'), 'utf8')) as { query: string; passages: string[] };
  const list: { dir: string; engine: Engine; times: number[]; scores: number[] }[] = [];
  for (const b of bundles) {
    const engine = await Engine.create({ model: b, backend: 'wasm', numThreads: ort.env.wasm.numThreads as number, progressiveLoad: false, batchSize: 8 });
    const r = await engine.rank(query, passages); // warm-up; its scores are compared
    list.push({ dir: b, engine, times: [], scores: r.results.sort((x, y) => x.index - y.index).map((x) => x.score) });
  }
  // transformers.js's q8 graph of the same weights (hf.q8.onnx) on the same 8 rows, one session run
  const q8 = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, 'hf.q8.onnx'))), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  await q8.run(feeds.hf!);
  const q8Times: number[] = [];
  const loads: number[] = [];
  for (let r = 0; r < runs; r++) {
    loads.push(loadavg()[0]!);
    for (let i = 0; i <= list.length; i++) {
      const k = (i + r) % (list.length + 1);
      const t0 = performance.now();
      if (k === list.length) {
        await q8.run(feeds.hf!);
        q8Times.push(performance.now() - t0);
        continue;
      }
      await list[k]!.engine.rank(query, passages);
      list[k]!.times.push(performance.now() - t0);
    }
  }
  await q8.release();
  const base = median(list[0]!.times);
  console.log(`\nengine, full configuration, 1 query x ${passages.length} passages, ${runs} interleaved rounds, load average ${median(loads).toFixed(1)}`);
  console.log('bundle | median ms | ratio to first | max |score diff| vs first');
  for (const e of list) {
    const d = Math.max(...e.scores.map((s, i) => Math.abs(s - list[0]!.scores[i]!)));
    console.log(`${e.dir} | ${median(e.times).toFixed(1)} | ${(median(e.times) / base).toFixed(2)} | ${d.toFixed(4)}`);
    await e.engine.dispose();
  }
  console.log(`transformers.js q8 graph (hf.q8.onnx, one session run, same rows) | ${median(q8Times).toFixed(1)} | ${(median(q8Times) / base).toFixed(2)} | -`);
}

if (values.bundles) await engines(values.bundles.split(','));
if (!values['engine-only']) {
  await family('layer');
  await family('hf');
}
