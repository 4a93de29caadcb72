/**
 * What every search-library integration shares: re-rank a first stage's hits (any shape) with a
 * reranker, the first stage's scores fused in (`firstStageScores`, src/fusion.ts), and hand
 * the hits back in the new order with the scores that made it.
 */
import { InputError, OptionsError, showValue } from '../errors';
import type { RankOptions, RankResult, RerankConfig, RerankerInterface } from '../types';

/** Per-call options shared by the integrations. All optional. */
export interface RerankCandidatesOptions {
  /**
   * Latency budget in ms: the adaptive controller picks the configuration (the reranker must be
   * made with its chooser: `createAdaptiveReranker` from `matryoshka-reranker/controller`).
   */
  budgetMs?: number;
  /** Configuration (`{ depth, compress }` or a manifest name such as `d4-c2-r4`); default the full model. Ignored with `budgetMs`. */
  config?: RerankConfig | string;
  /** Return only the best `topK` of the re-ranked candidates. Default: all of them. */
  topK?: number;
  /**
   * Rank by the hybrid score `z(model) + fusionWeight * z(first stage)` (true, default) or by
   * the model's score alone (false). The hybrid is what the model was evaluated with: see the
   * README's accuracy notes.
   */
  fuse?: boolean;
  /** Weight of the first stage in the hybrid score. Default: the model's `fusion.weight`, else 1. */
  fusionWeight?: number;
  signal?: AbortSignal;
}

/** One re-ranked hit: the hit as the search library returned it, and the scores that ordered it. */
export interface RerankedCandidate<T> {
  hit: T;
  /** The ranking score: the hybrid score, or the model's when `fuse` is false. */
  score: number;
  /** The model's own score. */
  modelScore: number;
  /** The first stage's score (e.g. MiniSearch's or Orama's BM25). */
  firstStageScore: number;
  /** The text was cut to the model's maximum passage length. */
  truncated: boolean;
}

export interface RerankedCandidates<T> {
  candidates: RerankedCandidate<T>[];
  /** The reranker's result (configuration, backend, timings, controller decision). */
  result: RankResult;
}

/** Throws OptionsError unless `v` is undefined or a positive integer. */
export function checkCount(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
    throw new OptionsError(`MatryoshkaReranker: option "${name}" must be a positive integer, got ${showValue(v)}`);
  }
}

/**
 * Re-rank `hits` by `query`. `text(hit)` is the passage the model reads, `firstStage(hit)` the
 * hit's score in the first stage. Every hit is scored; `topK` trims the answer.
 */
export async function rerankCandidates<T>(
  reranker: RerankerInterface, query: string, hits: readonly T[],
  text: (hit: T, index: number) => string, firstStage: (hit: T) => number, options: RerankCandidatesOptions = {},
): Promise<RerankedCandidates<T>> {
  if (!reranker || typeof reranker.rank !== 'function') {
    throw new OptionsError('MatryoshkaReranker: the first argument must be a reranker (createWorkerReranker / createReranker / createAdaptiveReranker)');
  }
  checkCount('topK', options.topK);
  const passages = hits.map((h, i) => {
    const t = text(h, i);
    if (typeof t !== 'string') throw new InputError(`MatryoshkaReranker: the text of hit ${i} is ${typeof t}, not a string; check option "text"`);
    return t;
  });
  const firstStageScores = hits.map((h) => {
    const s = firstStage(h);
    return typeof s === 'number' && Number.isFinite(s) ? s : 0;
  });
  const fuse = options.fuse !== false;
  const rankOptions: RankOptions = {
    ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.topK !== undefined ? { topK: options.topK } : {}),
    ...(fuse ? { firstStageScores } : {}),
    ...(fuse && options.fusionWeight !== undefined ? { fusionWeight: options.fusionWeight } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const result = await reranker.rank(query, passages, rankOptions);
  const candidates = result.results.map((r) => ({
    hit: hits[r.index]!,
    score: r.score,
    modelScore: r.modelScore ?? r.score,
    firstStageScore: firstStageScores[r.index]!,
    truncated: r.truncated,
  }));
  return { candidates, result };
}

/** The passage text of a record: the named fields, or every top-level string field but `skip`, joined by newlines. */
export function recordText(record: Record<string, unknown>, fields: readonly string[] | undefined, skip: ReadonlySet<string>): string {
  const keys = fields ?? Object.keys(record).filter((k) => !skip.has(k));
  return keys.map((k) => record[k]).filter((v): v is string => typeof v === 'string' && v.length > 0).join('\n');
}
