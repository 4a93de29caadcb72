/**
 * One benchmark run, environment-neutral (Node CLI and browser page): load the BEIR split, run
 * the scenarios in order — bm25 (which also produces the candidates), the matryoshka
 * configurations and progressive schedules, the transformers.js peer — and assemble the report.
 * What differs between environments (machine description, reranker factory, how transformers.js
 * is loaded and on which device) comes in through {@link BenchEnvironment}.
 */
import { loadBeir } from '../src/data/beir';
import { querySplitFilter } from '../src/data/dev-split';
import type { MachineInfo } from './machine';
import type { BenchReport } from './report';
import { runBm25 } from './scenarios/bm25';
import { runMatryoshka, type CreateReranker, type MatryoshkaOptions } from './scenarios/matryoshka';
import type { BenchProgress, ScenarioContext, Skipped } from './scenarios/scenario';
import { runTransformersJs, type TransformersJsOptions } from './scenarios/transformersjs';
import type { BenchSettings } from './settings';

export interface BenchEnvironment {
  /** Where the run happens (bench/machine.ts in Node, bench/browser/machine.ts in a page). */
  machine: MachineInfo;
  /** Reranker factory (createReranker from src/index.ts), or why there is none. */
  createReranker: CreateReranker | Skipped;
  /** Dataset name for the report, e.g. the folder's last path segment. */
  datasetName: string;
  /** Options of the matryoshka scenario (reranker options such as numThreads). Default none. */
  matryoshka?: MatryoshkaOptions;
  /** Options of the transformers.js peer, or false to skip it. Default: its defaults. */
  transformersjs?: TransformersJsOptions | false;
  /** Progress lines. Default: none. */
  log?: (message: string) => void;
  /** Called after every timed query. Default: none. */
  progress?: (p: BenchProgress) => void;
}

const quiet = { log: (_message: string): void => {}, progress: (_p: BenchProgress): void => {}, matryoshka: {}, transformersjs: {} };

/** The last segment of a path or URL, without trailing slashes (`../x/adi/` -> `adi`). */
export function lastSegment(location: string): string {
  return location.replace(/[/\\]+$/, '').split(/[/\\]/).pop() || location;
}

export async function runBenchmarkIn(settings: BenchSettings, environment: BenchEnvironment): Promise<BenchReport> {
  const env = { ...quiet, ...environment };
  const dataset = await loadBeir(settings.dataset, { split: settings.split, queryFilter: querySplitFilter(settings.querySplit) });
  for (const w of dataset.warnings) env.log(`warning: ${w}`);
  const queries = settings.queries === undefined ? dataset.queries : dataset.queries.slice(0, settings.queries);
  if (queries.length === 0) throw new Error(`No queries with judgements in ${settings.dataset} split ${settings.split}${settings.querySplit === 'all' ? '' : `:${settings.querySplit}`}.`);
  env.log(`dataset: ${dataset.corpus.length} documents, ${queries.length} queries`);
  const ctx: ScenarioContext = { args: settings, dataset, queries, candidates: new Map(), log: env.log, progress: env.progress };

  const bm25 = await runBm25(ctx);
  const matryoshka = await runMatryoshka(ctx, env.createReranker, env.matryoshka);
  const transformersjs = env.transformersjs === false ? { skipped: 'disabled' } : await runTransformersJs(ctx, matryoshka.fullPerQueryMs, env.transformersjs);
  return {
    dataset: { name: env.datasetName, location: settings.dataset, split: settings.split, querySplit: settings.querySplit, documents: dataset.corpus.length },
    backend: settings.backend,
    machine: env.machine,
    queries: queries.length,
    topK: settings.topK,
    model: matryoshka.model,
    fullConfig: matryoshka.fullConfig,
    rows: matryoshka.rows,
    peers: { bm25, transformersjs },
    createdAt: new Date().toISOString(),
  };
}
