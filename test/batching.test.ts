import { describe, expect, it } from 'vitest';
import { lengthBuckets, paddingOverhead, topIndices } from '../src/batching';

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
