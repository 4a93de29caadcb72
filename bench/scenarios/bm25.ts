/**
 * Scenario `bm25`: the first stage. Indexes the corpus, retrieves the top-k candidates for every
 * benchmarked query (stored in the context for the re-rankers) and scores them as a peer.
 */
import { defaultAnalyzerOptions } from '../../tools/data/analyzer';
import { Bm25Index, defaultBm25Options, type Bm25Options } from '../../tools/data/bm25';
import { nowMs, summarize } from '../latency';
import { evaluateRun, rankByScore } from '../metrics';
import type { ScenarioContext, SystemResult } from './scenario';

export interface Bm25PeerResult extends SystemResult {
  /** Time to build the index over the whole corpus. */
  indexMs: number;
  documents: number;
  params: { k1: number; b: number; stemming: boolean };
}

/** Metric options every scenario shares: nDCG@10, RR@10, R@10 and R@<top-k>. */
export function benchMetricOptions(topK: number): { recallK: number[] } {
  return { recallK: topK === 10 ? [10] : [10, topK] };
}

export async function runBm25(ctx: ScenarioContext, options: Bm25Options = {}): Promise<Bm25PeerResult> {
  const t0 = nowMs();
  const index = Bm25Index.build(ctx.dataset.corpus, options);
  const indexMs = nowMs() - t0;
  ctx.log(`bm25: indexed ${index.size} documents in ${indexMs.toFixed(0)} ms`);
  const times: number[] = [];
  const run = new Map<string, string[]>();
  for (const q of ctx.queries) {
    const start = nowMs();
    const hits = index.search(q.text, ctx.args.topK);
    times.push(nowMs() - start);
    ctx.candidates.set(q.id, hits);
    run.set(q.id, rankByScore(hits.map((h) => [h.id, h.score] as const)));
  }
  const qrels = new Map(ctx.queries.map((q) => [q.id, ctx.dataset.qrels.get(q.id) ?? new Map<string, number>()] as const));
  const { mean } = evaluateRun(run, qrels, benchMetricOptions(ctx.args.topK));
  return {
    metrics: mean,
    latency: summarize(times),
    indexMs,
    documents: index.size,
    // Options left out take the index's defaults (Porter2 stemming since tools/data/analyzer.ts).
    params: { k1: options.k1 ?? defaultBm25Options.k1, b: options.b ?? defaultBm25Options.b, stemming: (options.stem === undefined ? defaultAnalyzerOptions.stem : options.stem) !== null },
  };
}
