/**
 * What every benchmark scenario gets and gives. The suite (bench/suite.ts) builds the context
 * once: dataset, the queries to use, and the BM25 candidates that every re-ranker re-ranks.
 */
import type { BenchSettings } from '../settings';
import type { LatencySummary } from '../latency';
import type { QueryMetrics } from '../metrics';
import type { BeirDataset, BeirQuery } from '../../tools/data/beir';
import type { Bm25Hit } from '../../tools/data/bm25';

/** Where a benchmark stands, for progress displays: `done` of `total` queries finished, `system` about to run. */
export interface BenchProgress {
  system: string;
  done: number;
  total: number;
}

/**
 * A system ready to be measured (bench/scenarios/rerank.ts, side by side with the others) and
 * how to turn its outcome into its report entry.
 */
export interface PreparedSystem<R> {
  label: string;
  score: (query: string, passages: string[]) => Promise<number[]>;
  finish(outcome: { result: SystemResult; perQueryMs: Map<string, number> }): R;
}

export interface ScenarioContext {
  args: BenchSettings;
  dataset: BeirDataset;
  /** Queries benchmarked (the split, its dev/test half, then the first `--queries`). */
  queries: BeirQuery[];
  /** BM25 top-k per query id, filled by the bm25 scenario before the others run. */
  candidates: Map<string, Bm25Hit[]>;
  /** Progress lines (stderr in Node, the page's log in the browser). */
  log: (message: string) => void;
  /**
   * Called before every timed call and once at the end (outside the timing). A page may return a promise that
   * resolves after a paint, so its progress display updates while the model keeps the thread busy.
   */
  progress: (p: BenchProgress) => void | Promise<void>;
}

/** Quality and speed of one system on the benchmarked queries. */
export interface SystemResult {
  /** Means over the queries: nDCG@10, RR@10, R@10, R@<top-k>. */
  metrics: QueryMetrics;
  /** Per-query time of the system's own step (BM25 search, or re-ranking the candidates). */
  latency: LatencySummary;
}

/** A peer or model that could not run; the reason says why and how to enable it. */
export interface Skipped {
  skipped: string;
}

export function isSkipped(x: object): x is Skipped {
  return 'skipped' in x;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
