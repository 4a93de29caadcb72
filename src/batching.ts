/**
 * Length bucketing: rows are sorted by length and cut into batches of similar length, so a
 * batch's padding (to its longest row) wastes little work. The cuts are chosen by dynamic
 * programming over the sorted rows to minimise padded tokens plus a fixed cost per batch (one
 * run of every graph), within the limits. Batches hold row indices; results are written back by
 * index, so the caller's order is never lost.
 */

export interface BatchLimits {
  /** Most rows in a batch. */
  batchSize: number;
  /** Most padded tokens (rows x longest row) in a batch; bounds memory per step. */
  maxBatchTokens: number;
  /**
   * Fixed cost of one more batch, in padded-token equivalents (session-run overheads, smaller
   * matrix products). Higher: fewer, fuller batches. Default 64.
   */
  batchOverheadTokens?: number;
}

export const DEFAULT_BATCH_OVERHEAD_TOKENS = 64;

/**
 * Indices `0..lengths.length-1` grouped into batches, longest rows first. Every index appears
 * exactly once. A single row longer than `maxBatchTokens` still gets its own batch.
 */
export function lengthBuckets(lengths: ArrayLike<number>, limits: BatchLimits): number[][] {
  const { batchSize, maxBatchTokens } = limits;
  const overhead = limits.batchOverheadTokens ?? DEFAULT_BATCH_OVERHEAD_TOKENS;
  if (!(batchSize >= 1)) throw new RangeError(`lengthBuckets: batchSize must be >= 1, got ${batchSize}`);
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  // best[i]: least cost of batching the i longest rows; from[i]: where its last batch starts.
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n + 1);
  best[0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = i - 1; j >= 0 && i - j <= batchSize; j--) {
      const rows = i - j;
      const width = lengths[order[j]!]!; // sorted: the batch's first row is its longest
      if (rows > 1 && width * rows > maxBatchTokens) break; // wider and longer further back
      const cost = best[j]! + width * rows + overhead;
      if (cost < best[i]!) {
        best[i] = cost;
        from[i] = j;
      }
    }
  }
  const batches: number[][] = [];
  for (let i = n; i > 0; i = from[i]!) batches.push(order.slice(from[i]!, i));
  return batches.reverse();
}

/** Real and padded token counts of a batching (padded: each batch's rows x its longest row). */
export function paddingTotals(lengths: ArrayLike<number>, batches: readonly number[][]): { real: number; padded: number } {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    let longest = 0;
    for (const i of b) { real += lengths[i]!; longest = Math.max(longest, lengths[i]!); }
    padded += longest * b.length;
  }
  return { real, padded };
}

/** Padded tokens over real tokens for a batching (1 = no padding). */
export function paddingOverhead(lengths: ArrayLike<number>, batches: readonly number[][]): number {
  const { real, padded } = paddingTotals(lengths, batches);
  return real === 0 ? 1 : padded / real;
}

/** Indices of the `k` largest scores (ties: lower index first), best first. */
export function topIndices(scores: ArrayLike<number>, k: number, among?: readonly number[]): number[] {
  const idx = among ? [...among] : Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}
