/** The controller's decisions: budget, accuracy order, fallback warning, online correction. */
import { describe, expect, it } from 'vitest';
import { type CalibrationSample } from '../src/controller/calibration';
import { AdaptiveController, isAdaptiveDecision } from '../src/controller/controller';
import { type CostCoefficients, predictMs, workCounts } from '../src/controller/cost-model';
import { LatencyCorrection } from '../src/controller/correction';
import { paretoFront } from '../src/controller/accuracy';
import { OptionsError } from '../src/errors';
import type { CalibratedConfig, ConfigRequest } from '../src/types';

const limits = { batchSize: 16, maxBatchTokens: 8192 };
const dev = (ndcg10: number) => ({ dataset: 'd', queries: 10, candidates: 30, ndcg10 });
const CONFIGS: CalibratedConfig[] = [
  { name: 'd6', depth: 6, compress: null, flopsRatio: 1, dev: dev(0.7) },
  { name: 'd4', depth: 4, compress: null, flopsRatio: 0.67, dev: dev(0.66) },
  { name: 'd6-c2-r4', depth: 6, compress: { layers: [2], ratio: 4, mode: 'attention' }, flopsRatio: 0.35, dev: dev(0.68) },
  { name: 'd2', depth: 2, compress: null, flopsRatio: 0.33, dev: dev(0.55) },
  { name: 'd2-c2-r8', depth: 2, compress: { layers: [2], ratio: 8, mode: 'attention' }, flopsRatio: 0.2, dev: dev(0.5) },
];
const truth: CostCoefficients = { perCall: 2, perStep: 0.3, perToken: 0.002, perLayerToken: 0.02, perLayerTokenSq: 0.00003 };

/** Exact synthetic calibration: the fit then equals `truth`. */
function calibrated(options: ConstructorParameters<typeof AdaptiveController>[0] = {}): AdaptiveController {
  const samples: CalibrationSample[] = [];
  // About as many probes as the real calibration plan (src/controller/calibration.ts).
  for (const n of [1, 16, 24]) for (const p of [20, 190]) for (const config of [CONFIGS[0]!, CONFIGS[3]!]) {
    const shape = { qLen: 9, pLens: Array.from({ length: n }, (_, i) => p - (i % 5)), limits };
    samples.push({ config, shape, ms: predictMs(truth, workCounts(config, shape)) });
  }
  const squeeze = { qLen: 9, pLens: Array.from({ length: 8 }, () => 190), limits };
  samples.push({ config: CONFIGS[2]!, shape: squeeze, ms: predictMs(truth, workCounts(CONFIGS[2]!, squeeze)) });
  const c = new AdaptiveController({ minSpread: 0.05, ...options });
  c.setCalibration(samples, 'wasm');
  return c;
}

const request = (budgetMs: number, n = 40, p = 150, configurations = CONFIGS): ConfigRequest => ({
  budgetMs, configurations, backend: 'wasm', qLen: 9, limits,
  lengths: Array.from({ length: n }, (_, i) => 9 + 3 + p - (i % 7)),
});

describe('choose', () => {
  it('picks the most accurate configuration whose upper prediction fits, for every budget', () => {
    const c = calibrated();
    const costs = c.predict(CONFIGS, { qLen: 9, pLens: request(1).lengths.map((l) => l - 12), limits }, 'wasm').map((p) => p.upperMs);
    const budgets = [0.5, 0.9, 1.1, 1.5, 2, 3].map((f) => f * Math.min(...costs)).concat([...costs].map((x) => x * 1.01));
    const distinct = new Set<string>();
    for (const budget of budgets) {
      const d = c.choose(request(budget));
      const feasible = CONFIGS.filter((_, i) => costs[i]! <= budget);
      if (feasible.length === 0) continue;
      expect(d.fits).toBe(true);
      expect(d.upperMs).toBeLessThanOrEqual(budget);
      const best = Math.max(...feasible.map((x) => x.dev!.ndcg10));
      expect(d.config.dev!.ndcg10).toBe(best);
      distinct.add(d.config.name);
    }
    expect(distinct.size).toBeGreaterThanOrEqual(3);
  });

  it('prefers accuracy over compute: a compressed deep config beats a shallower plain one', () => {
    const c = calibrated();
    const up = Object.fromEntries(c.predict(CONFIGS, { qLen: 9, pLens: Array(40).fill(150), limits }, 'wasm').map((p) => [p.name, p.upperMs]));
    expect(up['d6-c2-r4']).toBeLessThan(up.d4!);
    const d = c.choose(request(up.d4! * 1.02));
    expect(d.config.name).toBe('d6-c2-r4');
  });

  it('returns the fastest configuration with a warning when nothing fits', () => {
    const c = calibrated();
    const d = c.choose(request(0.01));
    expect(d.fits).toBe(false);
    expect(d.config.name).toBe('d2-c2-r8');
    expect(d.warning).toMatch(/no configuration fits the 0 ms budget for 40 passages: using the fastest, d2-c2-r8 .*raise budgetMs/);
    expect(c.choose(request(1e6)).warning).toBeUndefined();
  });

  it('uses flopsRatio order when the manifest has no dev nDCG', () => {
    const c = calibrated();
    const noDev = CONFIGS.map(({ dev: _d, ...rest }) => rest);
    const d = c.choose(request(1e6, 40, 150, noDev));
    expect(d.config.name).toBe('d6');
    expect(d.accuracyLabel).toMatch(/flopsRatio/);
    const tight = c.choose(request(c.predict(noDev, { qLen: 9, pLens: Array(40).fill(148), limits }, 'wasm')[1]!.upperMs * 1.05, 40, 150, noDev));
    expect(tight.config.flopsRatio).toBeLessThan(1);
  });

  it('says when it is not calibrated yet', () => {
    const d = new AdaptiveController().choose(request(1e6));
    expect(d.calibrated).toBe(false);
    expect(d.warning).toMatch(/not calibrated.*calibrate/);
  });

  it('rejects bad options with a message naming the fix', () => {
    expect(() => new AdaptiveController({ smoothing: 0 })).toThrow(OptionsError);
    expect(() => new AdaptiveController({ safety: -1 })).toThrow(/"safety" must be a number >= 0/);
  });
});

describe('online correction', () => {
  it('moves predictions toward observed timings and changes the pick', () => {
    const c = calibrated();
    const before = c.choose(request(1e6));
    const budget = before.upperMs * 1.05;
    const d0 = c.choose(request(budget));
    expect(d0.config.name).toBe('d6');
    // The device slows down 2x (throttling, another tab): every call takes twice the prediction.
    for (let i = 0; i < 12; i++) {
      const d = c.choose(request(budget));
      c.observe(d, d.basePredictedMs * 2);
    }
    const after = c.choose(request(1e6));
    expect(after.predictedMs / before.predictedMs).toBeGreaterThan(1.8);
    expect(after.predictedMs / before.predictedMs).toBeLessThan(2.2);
    const d1 = c.choose(request(budget));
    expect(d1.config.name).not.toBe('d6');
    expect(d1.upperMs).toBeLessThanOrEqual(budget);
    expect(c.correctionState('wasm').count).toBeGreaterThan(1);
  });

  it('refits the coefficients on observed shapes when the calibration got the shape of the cost wrong', () => {
    // The device's attention cost is 4x what calibration measured; other terms are right.
    const real: CostCoefficients = { ...truth, perLayerTokenSq: truth.perLayerTokenSq * 4 };
    const shapes = (seed: number) => Array.from({ length: 40 }, (_, i) => ({ n: 5 + ((i * 37 + seed) % 90), p: 10 + ((i * 53 + seed * 7) % 180) }));
    const error = (c: AdaptiveController): number => {
      let worst = 0;
      for (const { n, p } of shapes(99)) {
        const d = c.choose(request(1e9, n, p));
        const actual = predictMs(real, workCounts(d.config, { qLen: 9, pLens: request(1, n, p).lengths.map((l) => l - 12), limits }));
        worst = Math.max(worst, Math.abs(Math.log(d.predictedMs / actual)));
      }
      return worst;
    };
    const run = (refitEvery: number): AdaptiveController => {
      const c = calibrated({ refitEvery });
      for (const { n, p } of shapes(1)) {
        const d = c.choose(request(1e9, n, p));
        c.observe(d, predictMs(real, workCounts(d.config, { qLen: 9, pLens: request(1, n, p).lengths.map((l) => l - 12), limits })));
      }
      return c;
    };
    const refitted = run(8);
    const correctedOnly = run(0);
    expect(refitted.observedCalls).toBe(40);
    expect(error(refitted)).toBeLessThan(0.1);
    expect(error(correctedOnly)).toBeGreaterThan(3 * error(refitted));
  });

  it('widens the margin on a noisy device', () => {
    const quiet = calibrated();
    const noisy = calibrated();
    for (let i = 0; i < 30; i++) {
      const d = quiet.choose(request(1e6));
      quiet.observe(d, d.basePredictedMs);
      const e = noisy.choose(request(1e6));
      noisy.observe(e, e.basePredictedMs * (i % 2 ? 1.4 : 1 / 1.4));
    }
    const q = quiet.choose(request(1e6));
    const n = noisy.choose(request(1e6));
    expect(n.upperMs / n.predictedMs).toBeGreaterThan(1.3 * (q.upperMs / q.predictedMs));
  });

  it('ignores decisions it did not make', () => {
    const c = calibrated();
    c.observe({ config: CONFIGS[0]!, predictedMs: 1, budgetMs: 1, fits: true }, 1000);
    c.observe(undefined, 1000);
    expect(c.correctionState('wasm').count).toBe(1);
    expect(isAdaptiveDecision(c.choose(request(5)))).toBe(true);
  });

  it('LatencyCorrection: EW mean of log ratios', () => {
    const k = new LatencyCorrection(0.5, 0);
    k.update(20, 10);
    expect(k.factor).toBeCloseTo(2, 10);
    k.update(10, 10);
    expect(k.factor).toBeCloseTo(Math.sqrt(2), 10);
    expect(k.spread).toBeGreaterThan(0);
  });
});

describe('paretoFront', () => {
  it('keeps the points no other point beats on both cost and accuracy', () => {
    const pts = [{ cost: 10, accuracy: 0.7 }, { cost: 5, accuracy: 0.68 }, { cost: 6, accuracy: 0.6 }, { cost: 2, accuracy: 0.5 }, { cost: 12, accuracy: 0.69 }];
    expect(paretoFront(pts)).toEqual([3, 1, 0]);
  });
});
