/**
 * LoRA merged into int8 weights (src/int8-merge.ts, trainer/mrr/int8_merge.py): the arithmetic
 * on small hand-checked matrices, the weights file it writes for the tiny int8 fixture, the
 * manifest's `graphs.int8Matrices` checks, and that the engine really runs merged sessions on
 * WASM (its scores follow golden.json's merged int8 scores, not the unmerged LoRA graphs').
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterStore } from '../src/adapters';
import { Engine } from '../src/engine';
import { BundleError } from '../src/errors';
import { mergedWeights, mergeInt8, rowBias } from '../src/int8-merge';
import { ADAPTER_TARGETS, parseManifest } from '../src/manifest';
import { parseSafetensors } from '../src/safetensors';
import { readJson, type Golden, type GoldenCase } from './helpers';

const TINY_INT8 = 'test/fixtures/tiny-int8';

describe('mergeInt8 and rowBias', () => {
  it('adds a @ b / s to q, rounds half to even and clips to ±127', () => {
    // q [2, 3], s [3]; a [2, 1], b [1, 3]: delta = a @ b
    const q = Int8Array.from([10, -120, 0, 126, 5, -3]);
    const s = Float32Array.from([0.5, 1, 0.25]);
    const a = { data: Float32Array.from([1, 2]), dims: [2, 1] as [number, number] };
    const b = { data: Float32Array.from([0.25, -10, 0.125]), dims: [1, 3] as [number, number] };
    // row 0: 10 + 0.25/0.5 = 10.5 -> 10 (even); -120 - 10 = -130 -> -127; 0 + 0.125/0.25 = 0.5 -> 0
    // row 1: 126 + 0.5/0.5 = 127; 5 - 20 = -15; -3 + 0.25/0.25 = -2
    expect([...mergeInt8(q, s, a, b)]).toEqual([10, -127, 0, 127, -15, -2]);
  });

  it('is the identity with zero factors, and refuses shapes that disagree', () => {
    const q = Int8Array.from({ length: 12 }, (_, i) => i * 9 - 50);
    const s = Float32Array.from([0.1, 0.2, 0.3]);
    const zeroA = { data: new Float32Array(8), dims: [4, 2] as [number, number] };
    const zeroB = { data: new Float32Array(6), dims: [2, 3] as [number, number] };
    expect([...mergeInt8(q, s, zeroA, zeroB)]).toEqual([...q]);
    expect(() => mergeInt8(q, s, zeroA, { data: new Float32Array(4), dims: [2, 2] })).toThrow(/do not agree/);
  });

  it('rowBias is -shift times the column sums of q * s', () => {
    const q = Int8Array.from([1, 2, 3, 4]); // [2, 2]
    const s = Float32Array.from([0.5, 2]);
    expect([...rowBias(q, s, 0.25)]).toEqual([-0.25 * 4 * 0.5, -0.25 * 6 * 2]);
  });
});

describe('mergedWeights on the tiny int8 fixture', () => {
  const m = parseManifest(readJson(`${TINY_INT8}/manifest.json`));
  const store = new AdapterStore(parseSafetensors(new Uint8Array(readFileSync(join(TINY_INT8, m.adapters.file))), m.adapters.file), m);

  it('writes, for every target, q + (a @ b) / s rounded into the int8 spans and the recomputed row bias, and nothing else', () => {
    const layout = m.graphs.int8Matrices![0]!;
    const weights = new Uint8Array(readFileSync(join(TINY_INT8, m.graphs.layerWeights![0]!)));
    const factors = store.layer(1, ['vertical', 'h4']);
    const out = mergedWeights(weights, layout, factors);
    expect(out.length).toBe(weights.length);
    const touched = new Uint8Array(weights.length);
    let changed = 0;
    for (const t of ADAPTER_TARGETS) {
      const { shape: [rows, cols], weight, scale, rowBias: rb } = layout.matrices[t];
      const q = new Int8Array(weights.buffer, weights.byteOffset + weight[0], rows * cols);
      const got = new Int8Array(out.buffer, out.byteOffset + weight[0], rows * cols);
      const s = new Float32Array(weights.slice(scale[0], scale[0] + scale[1]).buffer);
      const { a, b } = factors[t];
      const R = a.dims[1];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          let d = 0;
          for (let r = 0; r < R; r++) d += a.data[i * R + r]! * b.data[r * cols + j]!;
          const want = Math.max(-127, Math.min(127, Math.round(q[i * cols + j]! + d / s[j]!)));
          expect(Math.abs(got[i * cols + j]! - want)).toBeLessThanOrEqual(1); // ties aside
          if (got[i * cols + j] !== q[i * cols + j]) changed++;
        }
      }
      touched.fill(1, weight[0], weight[0] + weight[1]);
      if (rb) {
        touched.fill(1, rb[0], rb[0] + rb[1]);
        const bias = new Float32Array(out.slice(rb[0], rb[0] + rb[1]).buffer);
        const want = rowBias(got, s, layout.rowShift);
        bias.forEach((x, j) => expect(x).toBeCloseTo(want[j]!, 5));
      }
    }
    expect(changed).toBeGreaterThan(0); // the fixture's adapters are large enough to move weights
    for (let i = 0; i < weights.length; i++) if (!touched[i]) expect(out[i]).toBe(weights[i]);
  });
});

describe('graphs.int8Matrices in the manifest', () => {
  const json = readJson(`${TINY_INT8}/manifest.json`) as { graphs: { int8Matrices: { matrices: Record<string, { weight: number[] }> }[] } };
  const edited = (edit: (j: typeof json) => void) => {
    const j = structuredClone(json);
    edit(j);
    return () => parseManifest(j);
  };

  it('is read as written', () => {
    expect(parseManifest(json).graphs.int8Matrices).toHaveLength(4);
  });

  it('is refused with a clear error when damaged', () => {
    expect(edited((j) => { j.graphs.int8Matrices.pop(); })).toThrow(/graphs\.int8Matrices.*array of 4 layouts/);
    expect(edited((j) => { j.graphs.int8Matrices[1]!.matrices.q!.weight = [0, 7]; })).toThrow(/int8Matrices\[1\]\.matrices\.q/);
    expect(edited((j) => { delete j.graphs.int8Matrices[0]!.matrices.ffn_out; })).toThrow(/matrices\.ffn_out/);
    expect(edited((j) => { (j as Record<string, unknown>).precision = 'float16'; })).toThrow(/absent unless "precision" is "int8"/);
    expect(edited((j) => { j.graphs.int8Matrices[2]!.matrices.k!.weight = [1e9, 1024]; })).not.toThrow(); // past the end: refused at merge (below)
  });
});

describe('the engine runs merged sessions on WASM', () => {
  type Int8Case = GoldenCase & { scoresByPrecision: { int8: number[] } };
  const golden = readJson(`${TINY_INT8}/golden.json`) as Golden & { precisions: { int8: { tolerance: number } } };
  const withAdapters = (golden.cases as Int8Case[]).filter((c) => c.config.depth < 4 || c.config.compress);
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const copy = (edit: (m: { graphs: Record<string, unknown> }) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'mrr-merge-'));
    dirs.push(dir);
    cpSync(TINY_INT8, dir, { recursive: true });
    const m = readJson(join(dir, 'manifest.json')) as { graphs: Record<string, unknown> };
    edit(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 1));
    execFileSync(process.execPath, ['scripts/hash-bundle.mjs', dir]);
    return dir;
  };
  const worst = async (model: string) => {
    const engine = await Engine.create({ model, backend: 'wasm', numThreads: 1, progressiveLoad: false, batchSize: 1 });
    try {
      let w = 0;
      for (const c of withAdapters) {
        const r = await engine.rank(c.query, c.passages, { config: c.config });
        for (const x of r.results) w = Math.max(w, Math.abs(x.score - c.scoresByPrecision.int8[x.index]!));
      }
      return w;
    } finally {
      await engine.dispose();
    }
  };

  it('matches the merged golden scores; the LoRA graphs (the same bundle without int8Matrices) fail the load canary', async () => {
    expect(withAdapters.length).toBeGreaterThan(4);
    const merged = await worst(TINY_INT8);
    console.log(`configurations with adapters, max |score - merged int8 golden|: ${merged.toExponential(2)}`);
    expect(merged).toBeLessThan(golden.precisions.int8.tolerance);
    const unmerged = await worst(copy((m) => { delete m.graphs.int8Matrices; })).catch((e: unknown) => e);
    expect(unmerged).toBeInstanceOf(BundleError);
    expect(String(unmerged)).toMatch(/fails its load-time canary on wasm/);
  });

  it('a layout pointing past the weights file is refused when a configuration needs it', async () => {
    const dir = copy((m) => { (m.graphs.int8Matrices as { matrices: { k: { weight: number[] } } }[])[0]!.matrices.k.weight = [1e9, 1024]; });
    const engine = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false });
    try {
      const c = withAdapters.find((x) => x.config.depth < 4)!;
      await expect(engine.rank(c.query, c.passages, { config: c.config })).rejects.toThrow(BundleError);
      await expect(engine.rank(c.query, c.passages, { config: c.config })).rejects.toThrow(/past the end of a weights file/);
    } finally {
      await engine.dispose();
    }
  });
});
