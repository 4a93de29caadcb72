/**
 * int8 bundles (manifest "precision": "int8", trainer `--precision int8`): the layer graphs run
 * MatMulInteger on WASM. Parity against golden.json's int8 scores (PyTorch with the run-time
 * rounding simulated) within the file's int8 tolerance, and damaged int8 bundles refused.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine';
import { BundleError } from '../src/errors';
import { parseManifest } from '../src/manifest';
import { readJson, type Golden } from './helpers';

const TINY_INT8 = 'test/fixtures/tiny-int8';
type Int8Golden = Golden & { precisions: { int8: { tolerance: number } }; cases: (Golden['cases'][number] & { scoresByPrecision: { int8: number[] } })[] };
const golden = readJson(`${TINY_INT8}/golden.json`) as Int8Golden;

function copyBundle(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'mrr-int8-'));
  cpSync(TINY_INT8, dir, { recursive: true });
  edit(dir);
  execFileSync(process.execPath, ['scripts/hash-bundle.mjs', dir]); // consistent hashes: only the checks under test stand in the way
  return dir;
}

describe('int8 bundle on WASM', () => {
  let engine: Engine;
  // batchSize 1: golden.json's int8 scores are per row (the 8-bit rounding's range is the batch's)
  beforeAll(async () => { engine = await Engine.create({ model: TINY_INT8, backend: 'wasm', numThreads: 1, progressiveLoad: false, batchSize: 1 }); });
  afterAll(() => engine?.dispose());

  it('the manifest says int8 and the load-time canary passes on the int8 scores', async () => {
    expect(parseManifest(readJson(`${TINY_INT8}/manifest.json`)).precision).toBe('int8');
    await engine.loaded();
  });

  it(`every golden case within the int8 tolerance ${golden.precisions.int8.tolerance}, and really quantized`, async () => {
    let worstInt8 = 0;
    let worstFloat = 0;
    for (const c of golden.cases) {
      const r = await engine.rank(c.query, c.passages, { config: c.config });
      expect(r.results).toHaveLength(c.passages.length);
      for (const x of r.results) {
        worstInt8 = Math.max(worstInt8, Math.abs(x.score - c.scoresByPrecision.int8[x.index]!));
        worstFloat = Math.max(worstFloat, Math.abs(x.score - c.scores[x.index]!));
      }
    }
    console.log(`int8 parity (WASM): ${golden.cases.length} cases, max |score - int8 golden| ${worstInt8.toExponential(2)}, |score - float golden| ${worstFloat.toExponential(2)}`);
    expect(worstInt8).toBeLessThan(golden.precisions.int8.tolerance);
    // the scores come from the integer kernels: float compute of the same weights differs more
    expect(worstFloat).toBeGreaterThan(worstInt8);
  });
});

describe('the dequantized twins (graphs.dequantized, what WebGPU runs) in onnxruntime-web', () => {
  // Node has no WebGPU: the twins run on WASM here, listed as the layer graphs of a float bundle
  // (same weights files), so the canary and every case check them against the float `scores`.
  let engine: Engine;
  let dir: string;
  beforeAll(async () => {
    dir = copyBundle((d) => {
      const m = readJson(join(d, 'manifest.json')) as { graphs: Record<string, unknown> & { dequantized: Record<string, unknown> }; precision?: string };
      const { dequantized, int8Matrices: _layout, ...g } = m.graphs; // a float bundle: nothing to merge into int8 weights
      writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, precision: undefined, graphs: { ...g, ...dequantized } }, null, 1));
    });
    engine = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false });
  });
  afterAll(async () => { await engine?.dispose(); rmSync(dir, { recursive: true, force: true }); });

  it(`load canary and every golden case within the float tolerance ${golden.tolerance}, away from the int8 scores`, async () => {
    await engine.loaded();
    expect(engine.loadReport!.canary.worstDiff).toBeLessThan(golden.tolerance);
    let worstFloat = 0;
    let worstInt8 = 0;
    for (const c of golden.cases) {
      const r = await engine.rank(c.query, c.passages, { config: c.config });
      expect(r.results).toHaveLength(c.passages.length);
      for (const x of r.results) {
        worstFloat = Math.max(worstFloat, Math.abs(x.score - c.scores[x.index]!));
        worstInt8 = Math.max(worstInt8, Math.abs(x.score - c.scoresByPrecision.int8[x.index]!));
      }
    }
    console.log(`dequantized twins (WASM): ${golden.cases.length} cases, max |score - float golden| ${worstFloat.toExponential(2)}, |score - int8 golden| ${worstInt8.toExponential(2)}`);
    expect(worstFloat).toBeLessThan(1e-4);
    expect(worstInt8).toBeGreaterThan(10 * golden.tolerance); // float compute: no activation rounding
  });
});

describe('damaged int8 bundles are refused', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const load = (dir: string) => Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false }).catch((e: unknown) => e);

  it('an unknown precision', async () => {
    const dir = copyBundle((d) => {
      const m = readJson(join(d, 'manifest.json')) as Record<string, unknown>;
      writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, precision: 'int4' }, null, 1));
    });
    dirs.push(dir);
    const err = await load(dir);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/field "precision" must be "float16" or "int8"/);
  });

  it('golden.json without int8 scores', async () => {
    const dir = copyBundle((d) => {
      const g = readJson(join(d, 'golden.json')) as Int8Golden;
      for (const c of g.cases) delete (c as Partial<typeof c>).scoresByPrecision;
      writeFileSync(join(d, 'golden.json'), JSON.stringify(g));
    });
    dirs.push(dir);
    const err = await load(dir);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/scoresByPrecision\.int8 must hold one number per passage/);
  });

  it('int8 weights replaced (consistent hashes): the canary refuses', async () => {
    const dir = copyBundle((d) => {
      const f = join(d, 'layer_02.weights');
      const w = new Uint8Array(readFileSync(f));
      for (let i = 0; i < w.length; i++) w[i] = (w[i]! * 7 + 13) & 0xff; // other int8 values, same size
      writeFileSync(f, w);
    });
    dirs.push(dir);
    const err = await load(dir);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/fails its load-time canary on wasm/);
  });
});
