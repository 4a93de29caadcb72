/**
 * Ranking metrics in the trec_eval / pytrec_eval formulation (what ir-measures reports):
 * - nDCG@k: gain = grade (linear, not 2^grade - 1), discount 1 / log2(rank + 1); the ideal ranking
 *   is every judged document with grade > 0, sorted by grade. 0 when nothing is relevant.
 * - RR@k (MRR@k averaged): 1 / rank of the first document with grade >= relevanceLevel in the top k.
 * - R@k: relevant (grade >= relevanceLevel) documents in the top k / all relevant ones.
 * Metrics take a ranking; {@link rankByScore} orders scored documents as trec_eval does (ties by
 * document id, descending). ir-measures computes RR@k with its msmarco provider, which breaks
 * ties the other way, so its RR@10 differs from ours (and from trec_eval) only on tied scores.
 * Checked against ir-measures by trainer/tests/test_metrics_reference.py.
 */
import type { Qrels } from '../tools/data/beir';

/** Document ids, best first. */
export type Ranking = readonly string[];

export interface MetricOptions {
  /** Smallest grade that counts as relevant for RR and recall. Default 1 (trec_eval's default). */
  relevanceLevel?: number;
  /** nDCG cut-off. Default 10. */
  ndcgK?: number;
  /** RR cut-off. Default 10. */
  mrrK?: number;
  /** Recall cut-offs. Default [10, 100]. */
  recallK?: number[];
}

export const defaultMetricOptions = {
  relevanceLevel: 1,
  ndcgK: 10,
  mrrK: 10,
  recallK: [10, 100],
} satisfies MetricOptions;

/** Judged documents of one query: document id -> grade. */
export type Judgements = ReadonlyMap<string, number>;

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`Metric cut-off must be a positive integer, got ${k}.`);
}

/** Drops repeated document ids, keeping the first (best) occurrence. */
function unique(ranking: Ranking, k: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ranking) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    if (out.length >= k) break;
  }
  return out;
}

/** nDCG@k with linear gains (trec_eval `ndcg_cut`). */
export function ndcgAt(ranking: Ranking, judged: Judgements, k = 10): number {
  checkK(k);
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += (ideal[i] ?? 0) / Math.log2(i + 2);
  if (idcg === 0) return 0;
  let dcg = 0;
  unique(ranking, k).forEach((id, i) => {
    const grade = judged.get(id) ?? 0;
    if (grade > 0) dcg += grade / Math.log2(i + 2);
  });
  return dcg / idcg;
}

/** Reciprocal rank of the first relevant document within the top k (0 if none). */
export function reciprocalRankAt(ranking: Ranking, judged: Judgements, k = 10, relevanceLevel = 1): number {
  checkK(k);
  const top = unique(ranking, k);
  for (let i = 0; i < top.length; i++) {
    if ((judged.get(top[i] ?? '') ?? 0) >= relevanceLevel) return 1 / (i + 1);
  }
  return 0;
}

/** Share of the relevant documents found in the top k (0 when the query has none). */
export function recallAt(ranking: Ranking, judged: Judgements, k = 100, relevanceLevel = 1): number {
  checkK(k);
  let relevant = 0;
  for (const g of judged.values()) if (g >= relevanceLevel) relevant += 1;
  if (relevant === 0) return 0;
  let found = 0;
  for (const id of unique(ranking, k)) if ((judged.get(id) ?? 0) >= relevanceLevel) found += 1;
  return found / relevant;
}

/** Byte-wise (strcmp-like) comparison; equal to UTF-8 byte order outside surrogate pairs. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders scored documents as trec_eval does: score descending, ties by document id descending.
 * Use it whenever a ranking comes from scores, so that tied scores rank as in ir-measures.
 */
export function rankByScore(scores: Iterable<readonly [string, number]>): string[] {
  return [...scores].sort((a, b) => b[1] - a[1] || compareIds(b[0], a[0])).map(([id]) => id);
}

/** Metric values of one query, keyed `nDCG@10`, `RR@10`, `R@100`, ... */
export type QueryMetrics = Record<string, number>;

export interface Evaluation {
  /** Per-query values for every query in the qrels (a query missing from the run scores 0). */
  perQuery: Map<string, QueryMetrics>;
  /** Mean over those queries. */
  mean: QueryMetrics;
  /** Number of queries averaged. */
  queries: number;
}

/** Names of the metrics {@link evaluateRun} computes for these options, in output order. */
export function metricNames(options: MetricOptions = {}): string[] {
  const opts = { ...defaultMetricOptions, ...options };
  return [`nDCG@${opts.ndcgK}`, `RR@${opts.mrrK}`, ...opts.recallK.map((k) => `R@${k}`)];
}

/** Metrics of one query. */
export function evaluateQuery(ranking: Ranking, judged: Judgements, options: MetricOptions = {}): QueryMetrics {
  const opts = { ...defaultMetricOptions, ...options };
  const out: QueryMetrics = {
    [`nDCG@${opts.ndcgK}`]: ndcgAt(ranking, judged, opts.ndcgK),
    [`RR@${opts.mrrK}`]: reciprocalRankAt(ranking, judged, opts.mrrK, opts.relevanceLevel),
  };
  for (const k of opts.recallK) out[`R@${k}`] = recallAt(ranking, judged, k, opts.relevanceLevel);
  return out;
}

/**
 * Evaluates a run over the queries of `qrels`. Queries of the run that have no qrels are
 * ignored; qrels queries absent from the run count as 0 (as ir-measures 0.4 does), so a system
 * that returns nothing for a query is not flattered.
 */
export function evaluateRun(run: ReadonlyMap<string, Ranking>, qrels: Qrels, options: MetricOptions = {}): Evaluation {
  const names = metricNames(options);
  const perQuery = new Map<string, QueryMetrics>();
  const sums: QueryMetrics = Object.fromEntries(names.map((n) => [n, 0]));
  for (const [qid, judged] of qrels) {
    const values = evaluateQuery(run.get(qid) ?? [], judged, options);
    perQuery.set(qid, values);
    for (const n of names) sums[n] = (sums[n] ?? 0) + (values[n] ?? 0);
  }
  const count = perQuery.size;
  const mean: QueryMetrics = Object.fromEntries(names.map((n) => [n, count > 0 ? (sums[n] ?? 0) / count : 0]));
  return { perQuery, mean, queries: count };
}
