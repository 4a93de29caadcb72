/**
 * Shared loop of the re-ranking scenarios: for every query, score its BM25 candidates with each
 * system's `score` function, time each call, and evaluate the re-ranked lists.
 *
 * Systems are measured SIDE BY SIDE: for each query every system runs once, back to back, in an
 * order that rotates from query to query. A system's time over another's on the same query is
 * then taken under the same machine load (a shared or throttling machine drifts over minutes),
 * which is what the latency ratios of the report rest on (bench/latency.ts).
 */
import { documentText } from '../../tools/data/bm25';
import { nowMs, summarize } from '../latency';
import { evaluateRun, rankByScore } from '../metrics';
import { benchMetricOptions } from './bm25';
import type { ScenarioContext, SystemResult } from './scenario';

/** Scores `passages` for `query`; `scores[i]` belongs to `passages[i]`. */
export type PassageScorer = (query: string, passages: string[]) => Promise<number[]>;

/** One re-ranker to measure: a label (report rows, progress) and its scorer. */
export interface MeasuredSystem {
  label: string;
  score: PassageScorer;
}

export interface RerankLoopOptions {
  /** Untimed calls per system on the first query before timing (JIT, kernels, caches). Default 1. */
  warmup?: number;
}

export const defaultRerankLoopOptions = { warmup: 1 } satisfies RerankLoopOptions;

/** A system's result and its time per query id (for latency ratios between systems). */
export interface RerankOutcome {
  result: SystemResult;
  perQueryMs: Map<string, number>;
}

/** Measures every system on every query, side by side; outcomes in the order of `systems`. */
export async function measureSideBySide(ctx: ScenarioContext, systems: readonly MeasuredSystem[], options: RerankLoopOptions = {}): Promise<RerankOutcome[]> {
  const opts = { ...defaultRerankLoopOptions, ...options };
  const passagesOf = (qid: string): { ids: string[]; texts: string[] } => {
    const hits = ctx.candidates.get(qid) ?? [];
    return {
      ids: hits.map((h) => h.id),
      texts: hits.map((h) => documentText(ctx.dataset.corpus[h.index] ?? { title: '', text: '' })),
    };
  };
  const first = ctx.queries.find((q) => (ctx.candidates.get(q.id)?.length ?? 0) > 0);
  if (first) {
    const { texts } = passagesOf(first.id);
    for (const s of systems) for (let i = 0; i < opts.warmup; i++) await s.score(first.text, texts);
  }
  const runs = systems.map(() => new Map<string, string[]>());
  const times = systems.map(() => [] as number[]);
  const perQuery = systems.map(() => new Map<string, number>());
  let done = 0;
  for (const q of ctx.queries) {
    const { ids, texts } = passagesOf(q.id);
    if (ids.length === 0) {
      for (const run of runs) run.set(q.id, []);
      continue;
    }
    for (let k = 0; k < systems.length; k++) {
      const i = (done + k) % systems.length; // rotate the order from query to query
      const system = systems[i]!;
      await ctx.progress({ system: system.label, done, total: ctx.queries.length }); // before the clock starts
      const start = nowMs();
      const scores = await system.score(q.text, texts);
      const elapsed = nowMs() - start;
      if (scores.length !== ids.length) throw new Error(`${system.label}: got ${scores.length} scores for ${ids.length} passages.`);
      times[i]!.push(elapsed);
      perQuery[i]!.set(q.id, elapsed);
      runs[i]!.set(q.id, rankByScore(ids.map((id, j) => [id, scores[j] ?? Number.NEGATIVE_INFINITY] as const)));
    }
    done += 1;
    if (done % 25 === 0) ctx.log(`re-ranking: ${done}/${ctx.queries.length} queries, ${systems.length} systems each`);
  }
  await ctx.progress({ system: 'evaluation', done, total: ctx.queries.length });
  const qrels = new Map(ctx.queries.map((q) => [q.id, ctx.dataset.qrels.get(q.id) ?? new Map<string, number>()] as const));
  return systems.map((_, i) => ({
    result: { metrics: evaluateRun(runs[i]!, qrels, benchMetricOptions(ctx.args.topK)).mean, latency: summarize(times[i]!) },
    perQueryMs: perQuery[i]!,
  }));
}

/** One system alone (same loop). */
export async function rerankAll(ctx: ScenarioContext, score: PassageScorer, options: RerankLoopOptions & { label?: string } = {}): Promise<RerankOutcome> {
  const [outcome] = await measureSideBySide(ctx, [{ label: options.label ?? 'rerank', score }], options);
  if (!outcome) throw new Error('measureSideBySide returned no outcome');
  return outcome;
}
