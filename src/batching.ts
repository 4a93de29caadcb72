/**
 * Length bucketing: rows are sorted by length and cut into batches of similar length, so a
 * batch's padding (to its longest row) wastes little work. Batches hold row indices; results
 * are written back by index, so the caller's order is never lost.
 */

export interface BatchLimits {
  /** Most rows in a batch. */
  batchSize: number;
  /** Most padded tokens (rows x longest row) in a batch; bounds memory per step. */
  maxBatchTokens: number;
}

/**
 * Indices `0..lengths.length-1` grouped into batches, longest rows first. Every index appears
 * exactly once. A single row longer than `maxBatchTokens` still gets its own batch.
 */
export function lengthBuckets(lengths: ArrayLike<number>, limits: BatchLimits): number[][] {
  const { batchSize, maxBatchTokens } = limits;
  if (!(batchSize >= 1)) throw new RangeError(`lengthBuckets: batchSize must be >= 1, got ${batchSize}`);
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const len = lengths[i]!;
    const width = Math.max(longest, len);
    if (cur.length > 0 && (cur.length >= batchSize || width * (cur.length + 1) > maxBatchTokens)) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  }
  if (cur.length) batches.push(cur);
  return batches;
}

/** Padded tokens over real tokens for a batching (1 = no padding). */
export function paddingOverhead(lengths: ArrayLike<number>, batches: number[][]): number {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    let longest = 0;
    for (const i of b) { real += lengths[i]!; longest = Math.max(longest, lengths[i]!); }
    padded += longest * b.length;
  }
  return real === 0 ? 1 : padded / real;
}

/** Indices of the `k` largest scores (ties: lower index first), best first. */
export function topIndices(scores: ArrayLike<number>, k: number, among?: readonly number[]): number[] {
  const idx = among ? [...among] : Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}
