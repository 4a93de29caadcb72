import { describe, expect, it } from 'vitest';
import { lengthsMask, mergePlan, type MergePlan } from '../src/merge-plan';

describe('mergePlan', () => {
  it('follows docs/bundle-format.md for one row', () => {
    // qLen 2, pLen 5, ratio 2: [CLS] q q [SEP] p p p p p [SEP] pad pad
    const p = mergePlan([2], [5], 12, 2);
    expect(Array.from(p.group)).toEqual([0, 1, 2, 3, 4, 4, 5, 5, 6, 7, -1, -1]);
    expect(Array.from(p.pLens)).toEqual([3]);
    expect(p.tOut).toBe(2 + 3 + 3);
    expect(Array.from(p.slots)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('handles several rows, exact multiples, empty passages and ratio 1', () => {
    const p = mergePlan([1, 3, 1], [8, 0, 3], 12, 4);
    const row = (b: number) => Array.from(p.group.slice(b * 12, b * 12 + 12));
    expect(row(0)).toEqual([0, 1, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5]);
    expect(row(1)).toEqual([0, 1, 2, 3, 4, 5, -1, -1, -1, -1, -1, -1]);
    expect(row(2)).toEqual([0, 1, 2, 3, 3, 3, 4, -1, -1, -1, -1, -1]);
    expect(Array.from(p.pLens)).toEqual([2, 0, 1]);
    expect(p.tOut).toBe(6);
    const id = mergePlan([2], [5], 10, 1);
    expect(Array.from(id.group)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects rows longer than T', () => {
    expect(() => mergePlan([2], [5], 9, 2)).toThrow(RangeError);
  });

  it('weighted merge matches a hand computation', () => {
    // one row, qLen 0, pLen 2, ratio 2: [CLS] [SEP] p1 p2 [SEP]; H = 1
    const plan = mergePlan([0], [2], 5, 2);
    const hidden = Float32Array.from([10, 20, 1, 3, 7]);
    const w = Float32Array.from([0, 0, 1, 3, 0]);
    const out = compressReference(hidden, w, plan, 1, 5, 1);
    expect(plan.tOut).toBe(4);
    expect(out[0]).toBeCloseTo(10, 5);
    expect(out[2]).toBeCloseTo((1 * (1 + 1e-6) + 3 * (3 + 1e-6)) / (4 + 2e-6), 5);
    expect(out[3]).toBeCloseTo(7, 5);
  });
});

describe('lengthsMask', () => {
  it('is 1 below each length', () => {
    expect(Array.from(lengthsMask([2, 0, 3], 3))).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 1]);
  });
});

/**
 * Reference implementation of compress.onnx on the CPU (the test's reference for the plan;
 * the runtime runs compress.onnx): hidden [B,T,H], weights [B,T] -> [B,Tout,H].
 */
export function compressReference(hidden: Float32Array, weights: Float32Array, plan: MergePlan, B: number, T: number, H: number): Float32Array {
  const out = new Float32Array(B * plan.tOut * H);
  const den = new Float64Array(B * plan.tOut);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < T; j++) {
      const g = plan.group[b * T + j]!;
      if (g < 0) continue;
      const w = weights[b * T + j]! + 1e-6;
      den[b * plan.tOut + g] = den[b * plan.tOut + g]! + w;
      const o = (b * plan.tOut + g) * H;
      for (let h = 0; h < H; h++) out[o + h] = out[o + h]! + w * hidden[(b * T + j) * H + h]!;
    }
  }
  for (let i = 0; i < B * plan.tOut; i++) {
    const d = den[i]!;
    for (let h = 0; h < H; h++) out[i * H + h] = d > 0 ? out[i * H + h]! / d : 0;
  }
  return out;
}
