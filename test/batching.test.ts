import { describe, expect, it } from 'vitest';
import { lengthBuckets, paddingOverhead, paddingTotals, topIndices } from '../src/batching';

describe('lengthBuckets', () => {
  const lengths = Array.from({ length: 103 }, (_, i) => 5 + ((i * 37) % 200));

  it('uses every index exactly once, longest first, within the limits', () => {
    const batches = lengthBuckets(lengths, { batchSize: 8, maxBatchTokens: 1000 });
    const seen = batches.flat().sort((a, b) => a - b);
    expect(seen).toEqual(lengths.map((_, i) => i));
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(8);
      const longest = Math.max(...b.map((i) => lengths[i]!));
      expect(b.length === 1 || longest * b.length <= 1000).toBe(true);
    }
    const firsts = batches.map((b) => lengths[b[0]!]!);
    expect([...firsts].sort((a, b) => b - a)).toEqual(firsts);
  });

  it('pads much less than arrival order', () => {
    const sorted = lengthBuckets(lengths, { batchSize: 8, maxBatchTokens: 1e9 });
    const arrival = Array.from({ length: Math.ceil(103 / 8) }, (_, k) => lengths.map((_, i) => i).slice(k * 8, k * 8 + 8));
    expect(paddingOverhead(lengths, sorted)).toBeLessThan(1.1);
    expect(paddingOverhead(lengths, arrival)).toBeGreaterThan(1.5);
  });

  it('cuts where padding costs more than another batch', () => {
    // one batch: 4 x 200 = 800 padded tokens + 64; two: 2 x 200 + 2 x 100 + 2 x 64 = 728
    expect(lengthBuckets([100, 200, 100, 190], { batchSize: 4, maxBatchTokens: 1e9 })).toEqual([[1, 3], [0, 2]]);
    // a higher per-batch cost keeps them together
    expect(lengthBuckets([100, 200, 100, 190], { batchSize: 4, maxBatchTokens: 1e9, batchOverheadTokens: 500 })).toEqual([[1, 3, 0, 2]]);
  });

  it('never pads more than greedy sorted chunks of batchSize', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ls = Array.from({ length: 20 + seed * 7 }, (_, i) => 20 + ((i * 7919 * seed) % 181));
      const order = ls.map((_, i) => i).sort((a, b) => ls[b]! - ls[a]! || a - b);
      const greedy = Array.from({ length: Math.ceil(ls.length / 16) }, (_, k) => order.slice(k * 16, k * 16 + 16));
      const dp = lengthBuckets(ls, { batchSize: 16, maxBatchTokens: 1e9, batchOverheadTokens: 0 });
      expect(paddingOverhead(ls, dp)).toBeLessThanOrEqual(paddingOverhead(ls, greedy));
    }
  });

  it('gives an over-long row its own batch and handles empty input', () => {
    expect(lengthBuckets([5000, 10, 10], { batchSize: 4, maxBatchTokens: 100 })).toEqual([[0], [1, 2]]);
    expect(lengthBuckets([], { batchSize: 4, maxBatchTokens: 100 })).toEqual([]);
  });
});

describe('topIndices', () => {
  it('orders by score then index', () => {
    expect(topIndices([1, 3, 3, 0], 3)).toEqual([1, 2, 0]);
    expect(topIndices([1, 3, 3, 0], 2, [0, 3, 2])).toEqual([2, 0]);
  });
});

describe('paddingTotals', () => {
  it('counts real tokens and rows x longest per batch', () => {
    expect(paddingTotals([10, 5, 5], [[0, 1], [2]])).toEqual({ real: 20, padded: 25 });
    expect(paddingOverhead([10, 5, 5], [[0, 1], [2]])).toBe(1.25);
    expect(paddingTotals([], [])).toEqual({ real: 0, padded: 0 });
  });
});
