/**
 * Runs the scenarios of one benchmark in order — bm25 (which also produces the candidates),
 * the matryoshka configurations, the transformers.js peer — and assembles the report.
 */
import { basename, resolve } from 'node:path';
import { loadBeir } from '../src/data/beir';
import { querySplitFilter } from '../src/data/dev-split';
import type { BenchArgs } from './args';
import { describeMachine } from './machine';
import type { BenchReport } from './report';
import { runBm25 } from './scenarios/bm25';
import { runMatryoshka } from './scenarios/matryoshka';
import type { ScenarioContext } from './scenarios/scenario';
import { runTransformersJs } from './scenarios/transformersjs';

export interface RunnerOptions {
  /** Progress lines. Default: stderr. */
  log?: (message: string) => void;
  /** Run the transformers.js peer. Default true. */
  transformersjs?: boolean;
}

export const defaultRunnerOptions = {
  log: (message: string): void => {
    process.stderr.write(`${message}\n`);
  },
  transformersjs: true,
} satisfies RunnerOptions;

export async function runBenchmark(args: BenchArgs, options: RunnerOptions = {}): Promise<BenchReport> {
  const opts = { ...defaultRunnerOptions, ...options };
  const dataset = await loadBeir(args.dataset, { split: args.split, queryFilter: querySplitFilter(args.querySplit) });
  for (const w of dataset.warnings) opts.log(`warning: ${w}`);
  const queries = args.queries === undefined ? dataset.queries : dataset.queries.slice(0, args.queries);
  if (queries.length === 0) throw new Error(`No queries with judgements in ${args.dataset} split ${args.split}${args.querySplit === 'all' ? '' : `:${args.querySplit}`}.`);
  opts.log(`dataset: ${dataset.corpus.length} documents, ${queries.length} queries`);
  const ctx: ScenarioContext = { args, dataset, queries, candidates: new Map(), log: opts.log };

  const bm25 = await runBm25(ctx);
  const matryoshka = await runMatryoshka(ctx);
  const transformersjs = opts.transformersjs ? await runTransformersJs(ctx) : { skipped: 'disabled' };
  return {
    dataset: { name: basename(resolve(args.dataset)), location: args.dataset, split: args.split, querySplit: args.querySplit, documents: dataset.corpus.length },
    backend: args.backend,
    machine: describeMachine(),
    queries: queries.length,
    topK: args.topK,
    model: matryoshka.model,
    rows: matryoshka.rows,
    peers: { bm25, transformersjs },
    createdAt: new Date().toISOString(),
  };
}
