/** Hybrid scoring: z-normalisation and the fused score (same rule as trainer/mrr/fusion.py). */
import { describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../src/errors';
import { checkFusionOptions, fuseScores, zscore } from '../src/fusion';

describe('zscore', () => {
  it('centres and scales to unit (population) deviation', () => {
    const z = zscore([1, 2, 3, 4]);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const sd = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length);
    expect(mean).toBeCloseTo(0, 12);
    expect(sd).toBeCloseTo(1, 12);
    expect(z[0]).toBeCloseTo(-1.3416407865, 9); // (1 - 2.5) / sqrt(1.25)
  });

  it('equal scores and single passages give zeros, not NaN', () => {
    expect(Array.from(zscore([5, 5, 5]))).toEqual([0, 0, 0]);
    expect(Array.from(zscore([7]))).toEqual([0]);
    expect(zscore([]).length).toBe(0);
  });
});

describe('fuseScores', () => {
  it('is scale-free in both inputs and adds the weighted first stage', () => {
    const model = [2, 0, 1];
    const bm25 = [10, 30, 20];
    const a = fuseScores(model, bm25, 1);
    const b = fuseScores(model.map((x) => 7 * x - 3), bm25.map((x) => x / 4 + 100), 1);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 12));
    // weight 0 is the model's own order; a large weight approaches the first stage's
    const byModel = Array.from(fuseScores(model, bm25, 0));
    expect(byModel.indexOf(Math.max(...byModel))).toBe(0);
    const byBm25 = Array.from(fuseScores(model, bm25, 100));
    expect(byBm25.indexOf(Math.max(...byBm25))).toBe(1);
    // hand check: z(model) = [1.2247, -1.2247, 0], z(bm25) = [-1.2247, 1.2247, 0]; w = 0.5
    const h = fuseScores(model, bm25, 0.5);
    expect(h[0]).toBeCloseTo(0.5 * Math.sqrt(1.5), 9);
    expect(h[2]).toBeCloseTo(0, 12);
  });

  it('a count mismatch is an InputError that names the fix', () => {
    expect(() => fuseScores([1, 2], [1], 1)).toThrow(InputError);
    expect(() => fuseScores([1, 2], [1], 1)).toThrow(/one score per passage/);
  });
});

describe('checkFusionOptions', () => {
  it('rejects non-finite scores and bad weights with OptionsError', () => {
    expect(() => checkFusionOptions([1, Number.NaN], undefined)).toThrow(OptionsError);
    expect(() => checkFusionOptions('1,2', undefined)).toThrow(/array of finite numbers/);
    expect(() => checkFusionOptions([1], -1)).toThrow(/fusionWeight" must be a finite number >= 0/);
    expect(() => checkFusionOptions(undefined, 1)).toThrow(/needs option "firstStageScores"/);
    expect(() => checkFusionOptions([1, 2], 0.5)).not.toThrow();
  });
});
