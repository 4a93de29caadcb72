import { describe, expect, it } from 'vitest';
import { evaluateRun, metricNames, ndcgAt, rankByScore, recallAt, reciprocalRankAt } from '../bench/metrics';

const log2 = Math.log2;

describe('nDCG@k (linear gain, log2 discount)', () => {
  const judged = new Map([['a', 3], ['b', 2], ['c', 0], ['d', 1]]);

  it('is 1 for the ideal ranking and matches a hand computation otherwise', () => {
    expect(ndcgAt(['a', 'b', 'd'], judged, 10)).toBeCloseTo(1, 12);
    // ranking: c (0), a (3), x (unjudged), d (1)
    const dcg = 3 / log2(3) + 1 / log2(5);
    const idcg = 3 / log2(2) + 2 / log2(3) + 1 / log2(4);
    expect(ndcgAt(['c', 'a', 'x', 'd'], judged, 10)).toBeCloseTo(dcg / idcg, 12);
  });

  it('cuts both the ranking and the ideal at k', () => {
    // k = 1: only rank 1 counts; the ideal is the single best grade.
    expect(ndcgAt(['b', 'a'], judged, 1)).toBeCloseTo(2 / 3, 12);
    expect(ndcgAt(['d', 'b', 'a'], judged, 2)).toBeCloseTo((1 + 2 / log2(3)) / (3 + 2 / log2(3)), 12);
  });

  it('is 0 without relevant documents and counts a repeated id once', () => {
    expect(ndcgAt(['a'], new Map([['a', 0]]), 10)).toBe(0);
    expect(ndcgAt(['x', 'y'], judged, 10)).toBe(0);
    expect(ndcgAt(['a', 'a', 'b'], judged, 2)).toBeCloseTo(ndcgAt(['a', 'b'], judged, 2), 12);
  });

  it('rejects a bad cut-off', () => {
    expect(() => ndcgAt(['a'], judged, 0)).toThrow(/positive integer/);
  });
});

describe('RR@k and R@k', () => {
  const judged = new Map([['r1', 1], ['r2', 2], ['n', 0]]);
  it('RR is 1/rank of the first relevant document within k', () => {
    expect(reciprocalRankAt(['n', 'x', 'r2', 'r1'], judged, 10)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRankAt(['n', 'x', 'r2'], judged, 2)).toBe(0);
    expect(reciprocalRankAt(['r1', 'r2'], judged, 10, 2)).toBe(0.5);
  });
  it('recall counts relevant documents in the top k', () => {
    expect(recallAt(['r1', 'n', 'x'], judged, 10)).toBe(0.5);
    expect(recallAt(['n', 'x', 'r1', 'r2'], judged, 3)).toBe(0.5);
    expect(recallAt(['r1', 'r2'], judged, 100)).toBe(1);
    expect(recallAt(['r1'], new Map([['r1', 0]]), 100)).toBe(0);
  });
});

describe('rankByScore', () => {
  it('orders by score, ties by document id descending (trec_eval)', () => {
    expect(rankByScore([['a', 1], ['c', 2], ['b', 1], ['d', 0.5]])).toEqual(['c', 'b', 'a', 'd']);
  });
});

describe('evaluateRun', () => {
  it('averages over qrels queries, a query missing from the run scoring 0', () => {
    const qrels = new Map([
      ['q1', new Map([['a', 1]])],
      ['q2', new Map([['b', 1]])],
    ]);
    const run = new Map([['q1', ['a']], ['q3', ['z']]]);
    const ev = evaluateRun(run, qrels, { recallK: [5] });
    expect(metricNames({ recallK: [5] })).toEqual(['nDCG@10', 'RR@10', 'R@5']);
    expect(ev.queries).toBe(2);
    expect(ev.perQuery.get('q2')).toEqual({ 'nDCG@10': 0, 'RR@10': 0, 'R@5': 0 });
    expect(ev.mean).toEqual({ 'nDCG@10': 0.5, 'RR@10': 0.5, 'R@5': 0.5 });
  });
});
