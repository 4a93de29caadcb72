/**
 * The shape of one re-ranking request as the cost model sees it: the query's token count and
 * every passage's token count (after truncation), plus the engine's batching limits. Built
 * from the `RankShape` the engine reports (in `ConfigRequest` and in `RankResult.shape`; row
 * lengths are `qLen + pLen + 3`).
 */
import { defaultOptions } from '../options';
import type { RankShape } from '../types';

export interface BatchingLimits {
  /** Rows per batch (engine option `batchSize`). */
  batchSize: number;
  /** Most padded tokens per batch (engine option `maxBatchTokens`). */
  maxBatchTokens: number;
}

export interface RequestShape {
  /** Query tokens (no special tokens), the same in every row. */
  qLen: number;
  /** Passage tokens per row (no special tokens), after truncation. */
  pLens: number[];
  limits: BatchingLimits;
}

/** The engine's defaults (the calibration plan uses them until the engine reports its own). */
export const defaultBatchingLimits: BatchingLimits = {
  batchSize: defaultOptions.batchSize,
  maxBatchTokens: defaultOptions.maxBatchTokens,
};

/** Shape of a call as the engine reported it (a `ConfigRequest` or a result's `shape`). */
export function shapeOf(reported: RankShape): RequestShape {
  const { qLen, limits } = reported;
  return { qLen, pLens: reported.lengths.map((l) => Math.max(0, l - qLen - 3)), limits: { batchSize: limits.batchSize, maxBatchTokens: limits.maxBatchTokens } };
}

/** Row length for the layout `[CLS] q [SEP] p [SEP]` (one definition, beside the merge plan). */
export { rowLength } from '../merge-plan';
