/** Cost model and fit: work counts by hand, NNLS, and recovering known coefficients. */
import { describe, expect, it } from 'vitest';
import { fitCostModel, type CalibrationSample } from '../src/controller/calibration';
import { COST_TERMS, type CostCoefficients, predictMs, workCounts } from '../src/controller/cost-model';
import { nnls } from '../src/controller/least-squares';
import type { RequestShape } from '../src/controller/request-shape';
import type { CalibratedConfig } from '../src/types';

const limits = { batchSize: 16, maxBatchTokens: 8192 };
const cfg = (name: string, depth: number, compress: CalibratedConfig['compress'] = null): CalibratedConfig =>
  ({ name, depth, compress, flopsRatio: 1 });

describe('workCounts', () => {
  it('counts steps, tokens and token-layers of one padded batch', () => {
    // rows: qLen 5, pLens 10 and 4 -> lengths 18 and 12, one batch padded to 18.
    const shape: RequestShape = { qLen: 5, pLens: [10, 4], limits };
    const c = workCounts(cfg('d2', 2), shape);
    expect(c).toEqual({ perCall: 1, perStep: 3, perToken: 36, perLayerToken: 2 * 36, perLayerTokenSq: 2 * 2 * 18 * 18 });
  });

  it('shrinks the rows a layer sees after compression (ceil(pLen / ratio)), compounding', () => {
    const shape: RequestShape = { qLen: 5, pLens: [10, 4], limits };
    // compress input of layer 2 with ratio 4: pLens -> 3, 1; T -> 5+3+3 = 11.
    const c = workCounts(cfg('x', 3, { layers: [2, 3], ratio: 4, mode: 'attention' }), shape);
    // layer 1 at T=18; layer 2 at 11; layer 3: pLens -> 1, 1 -> T = 9.
    expect(c.perStep).toBe(1 + 3 + 2);
    expect(c.perLayerToken).toBe(2 * (18 + 11 + 9));
    expect(c.perLayerTokenSq).toBe(2 * (18 ** 2 + 11 ** 2 + 9 ** 2));
  });

  it('follows the engine bucketing: more rows than batchSize make more batches and steps', () => {
    const shape: RequestShape = { qLen: 2, pLens: Array.from({ length: 20 }, () => 5), limits: { batchSize: 8, maxBatchTokens: 8192 } };
    const c = workCounts(cfg('d2', 2), shape);
    expect(c.perStep).toBe(3 * 3); // 3 batches x (embeddings + 2 layers)
    expect(c.perToken).toBe(20 * 10);
  });

  it('ratio 1 is no compression', () => {
    const shape: RequestShape = { qLen: 3, pLens: [40, 7, 19], limits };
    expect(workCounts(cfg('a', 4, { layers: [2], ratio: 1, mode: 'mean' }), shape)).toEqual(workCounts(cfg('b', 4), shape));
  });
});

describe('nnls', () => {
  it('solves an exactly determined non-negative system', () => {
    const x = nnls([[1, 0], [0, 1], [1, 1]], [2, 3, 5]);
    expect(x[0]).toBeCloseTo(2, 8);
    expect(x[1]).toBeCloseTo(3, 8);
  });

  it('clamps a coefficient that the unconstrained fit would make negative', () => {
    // y = 2 a - 0.5 b fits exactly unconstrained; with b >= 0 the best is b = 0.
    const rows = [[1, 1], [2, 1], [3, 2], [4, 1]];
    const y = rows.map(([a, b]) => 2 * a! - 0.5 * b!);
    const x = nnls(rows, y);
    expect(x[1]).toBe(0);
    expect(x[0]).toBeGreaterThan(1.5);
  });
});

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('fitCostModel', () => {
  const truth: CostCoefficients = { perCall: 2.5, perStep: 0.4, perToken: 0.003, perLayerToken: 0.02, perLayerTokenSq: 0.00004 };
  const configs = [cfg('d2', 2), cfg('d6', 6), cfg('d6-c2-r4', 6, { layers: [2], ratio: 4, mode: 'attention' }), cfg('d4', 4)];
  const samplesWith = (noise: number, seed: number): CalibrationSample[] => {
    const r = rng(seed);
    return Array.from({ length: 24 }, (_, i) => {
      // Like the calibration plan: some single-passage calls pin the per-call and per-step terms.
      const n = i % 3 === 0 ? 1 + Math.floor(r() * 2) : 1 + Math.floor(r() * 40);
      const shape: RequestShape = { qLen: 4 + Math.floor(r() * 12), pLens: Array.from({ length: n }, () => 5 + Math.floor(r() * 190)), limits };
      const config = configs[i % configs.length]!;
      const ms = predictMs(truth, workCounts(config, shape)) * Math.exp(noise * (r() * 2 - 1));
      return { config, shape, ms };
    });
  };

  it('recovers known coefficients from exact synthetic timings', () => {
    const fit = fitCostModel(samplesWith(0, 1));
    for (const k of COST_TERMS) expect(fit.coefficients[k]).toBeCloseTo(truth[k], 6);
    expect(fit.spread).toBeLessThan(1e-6);
  });

  it('predicts within a few percent from noisy timings (±5%)', () => {
    const fit = fitCostModel(samplesWith(0.05, 2));
    for (const s of samplesWith(0, 3)) {
      const ratio = predictMs(fit.coefficients, workCounts(s.config, s.shape)) / s.ms;
      expect(ratio).toBeGreaterThan(0.9);
      expect(ratio).toBeLessThan(1.1);
    }
    expect(fit.spread).toBeGreaterThan(0.005);
  });

  it('never returns negative coefficients', () => {
    const fit = fitCostModel(samplesWith(0.3, 4));
    for (const k of COST_TERMS) expect(fit.coefficients[k]).toBeGreaterThanOrEqual(0);
  });
});
