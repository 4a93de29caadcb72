/** The two-probe start: the prior's fixed and per-token halves rescaled separately. */
import { describe, expect, it } from 'vitest';
import type { CalibrationSample } from '../src/controller/calibration';
import { rescalePrior } from '../src/controller/controller';
import { predictMs, priorCoefficients, workCounts } from '../src/controller/cost-model';
import type { CalibratedConfig } from '../src/types';

const d2: CalibratedConfig = { name: 'd2', depth: 2, compress: null, flopsRatio: 1 / 3 };
const limits = { batchSize: 16, maxBatchTokens: 8192 };
const shape = (n: number, p: number) => ({ qLen: 8, pLens: Array.from({ length: n }, () => p), limits });

describe('rescalePrior', () => {
  it('recovers separate factors for fixed and per-token costs from a short and a batch probe', () => {
    // A device whose fixed costs are 20x the prior's and token work 3x.
    const truth = { ...priorCoefficients, perCall: priorCoefficients.perCall * 20, perStep: priorCoefficients.perStep * 20,
      perToken: priorCoefficients.perToken * 3, perLayerToken: priorCoefficients.perLayerToken * 3, perLayerTokenSq: priorCoefficients.perLayerTokenSq * 3 };
    const samples: CalibrationSample[] = [shape(1, 16), shape(8, 48)].map((s) => ({ config: d2, shape: s, ms: predictMs(truth, workCounts(d2, s)) }));
    const got = rescalePrior(priorCoefficients, samples);
    expect(got.perCall / priorCoefficients.perCall).toBeCloseTo(20, 6);
    expect(got.perLayerToken / priorCoefficients.perLayerToken).toBeCloseTo(3, 6);
    // A large request is predicted as the device would run it; one overall factor would be far off.
    const big = shape(30, 100);
    const deep = { ...d2, name: 'd6', depth: 6 };
    expect(predictMs(got, workCounts(deep, big)) / predictMs(truth, workCounts(deep, big))).toBeCloseTo(1, 6);
    const one = rescalePrior(priorCoefficients, samples.slice(1));
    expect(predictMs(one, workCounts(deep, big)) / predictMs(truth, workCounts(deep, big))).toBeGreaterThan(1.5);
  });

  it('falls back to one factor with a single probe', () => {
    const s = shape(8, 48);
    const samples: CalibrationSample[] = [{ config: d2, shape: s, ms: 2 * predictMs(priorCoefficients, workCounts(d2, s)) }];
    const got = rescalePrior(priorCoefficients, samples);
    expect(got.perCall).toBeCloseTo(2 * priorCoefficients.perCall, 9);
    expect(got.perLayerToken).toBeCloseTo(2 * priorCoefficients.perLayerToken, 9);
  });
});
