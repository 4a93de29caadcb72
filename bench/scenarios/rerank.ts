/**
 * Shared loop of the re-ranking scenarios: for every query, score its BM25 candidates with a
 * `score` function, time it, and evaluate the re-ranked lists.
 */
import { documentText } from '../../src/data/bm25';
import { nowMs, summarize } from '../latency';
import { evaluateRun, rankByScore } from '../metrics';
import { benchMetricOptions } from './bm25';
import type { ScenarioContext, SystemResult } from './scenario';

/** Scores `passages` for `query`; `scores[i]` belongs to `passages[i]`. */
export type PassageScorer = (query: string, passages: string[]) => Promise<number[]>;

export interface RerankLoopOptions {
  /** Untimed calls on the first query before timing (JIT, kernels, caches). Default 1. */
  warmup?: number;
  /** Label for progress lines. */
  label?: string;
}

export const defaultRerankLoopOptions = { warmup: 1, label: 'rerank' } satisfies RerankLoopOptions;

/** A system's result and its time per query id (for latency ratios between systems). */
export interface RerankOutcome {
  result: SystemResult;
  perQueryMs: Map<string, number>;
}

export async function rerankAll(ctx: ScenarioContext, score: PassageScorer, options: RerankLoopOptions = {}): Promise<RerankOutcome> {
  const opts = { ...defaultRerankLoopOptions, ...options };
  const passagesOf = (qid: string): { ids: string[]; texts: string[] } => {
    const hits = ctx.candidates.get(qid) ?? [];
    return {
      ids: hits.map((h) => h.id),
      texts: hits.map((h) => documentText(ctx.dataset.corpus[h.index] ?? { title: '', text: '' })),
    };
  };
  const first = ctx.queries.find((q) => (ctx.candidates.get(q.id)?.length ?? 0) > 0);
  if (first) for (let i = 0; i < opts.warmup; i++) await score(first.text, passagesOf(first.id).texts);

  const run = new Map<string, string[]>();
  const times: number[] = [];
  const perQueryMs = new Map<string, number>();
  let done = 0;
  for (const q of ctx.queries) {
    const { ids, texts } = passagesOf(q.id);
    if (ids.length === 0) {
      run.set(q.id, []);
      continue;
    }
    const start = nowMs();
    const scores = await score(q.text, texts);
    const elapsed = nowMs() - start;
    times.push(elapsed);
    perQueryMs.set(q.id, elapsed);
    if (scores.length !== ids.length) throw new Error(`${opts.label}: got ${scores.length} scores for ${ids.length} passages.`);
    run.set(q.id, rankByScore(ids.map((id, i) => [id, scores[i] ?? Number.NEGATIVE_INFINITY] as const)));
    done += 1;
    ctx.progress({ system: opts.label, done, total: ctx.queries.length });
    if (done % 25 === 0) ctx.log(`${opts.label}: ${done}/${ctx.queries.length} queries`);
  }
  const qrels = new Map(ctx.queries.map((q) => [q.id, ctx.dataset.qrels.get(q.id) ?? new Map<string, number>()] as const));
  return { result: { metrics: evaluateRun(run, qrels, benchMetricOptions(ctx.args.topK)).mean, latency: summarize(times) }, perQueryMs };
}
