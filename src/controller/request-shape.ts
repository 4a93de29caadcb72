/**
 * The shape of one re-ranking request as the cost model sees it: the query's token count and
 * every passage's token count (after truncation), plus the engine's batching limits. Built
 * from the engine's `ConfigRequest` (row lengths are `qLen + pLen + 3`).
 */
import { defaultOptions } from '../options';
import type { ConfigRequest } from '../types';

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

/** The engine's defaults, used when the request does not carry its limits. */
export const defaultBatchingLimits: BatchingLimits = {
  batchSize: defaultOptions.batchSize,
  maxBatchTokens: defaultOptions.maxBatchTokens,
};

/**
 * Shape of an engine request. Without `qLen` in the request (an engine that predates it) the
 * query is assumed to take `fallbackQLen` tokens, capped by the shortest row.
 */
export function shapeOf(request: Pick<ConfigRequest, 'lengths' | 'qLen' | 'limits'>, fallbackQLen = 12): RequestShape {
  const shortest = request.lengths.length ? Math.min(...request.lengths) : 3;
  const qLen = request.qLen ?? Math.max(0, Math.min(fallbackQLen, shortest - 3));
  return {
    qLen,
    pLens: request.lengths.map((l) => Math.max(0, l - qLen - 3)),
    limits: request.limits ?? defaultBatchingLimits,
  };
}

/** Row length for the layout `[CLS] q [SEP] p [SEP]` (one definition, beside the merge plan). */
export { rowLength } from '../merge-plan';
