/**
 * The suite: one benchmark run, environment-neutral (in Node: bench/suite-node.ts, called by the
 * CLI bench/cli.ts; in Chromium: bench/browser/page.ts): load the BEIR split, run
 * the scenarios in order — bm25 (which also produces the candidates), the matryoshka
 * configurations and progressive schedules, the transformers.js peer — and assemble the report.
 * What differs between environments (machine description, reranker factory, how transformers.js
 * is loaded and on which device) comes in through {@link BenchEnvironment}.
 */
import { loadBeir } from '../tools/data/beir';
import { querySplitFilter } from '../tools/data/dev-split';
import type { MachineInfo } from './machine';
import type { BenchReport } from './report';
import { runBm25 } from './scenarios/bm25';
import { prepareMatryoshka, setLatencyRatios, type CreateReranker, type MatryoshkaOptions, type ModelRow, type PreparedMatryoshka } from './scenarios/matryoshka';
import { measureSideBySide } from './scenarios/rerank';
import { isSkipped, type BenchProgress, type ScenarioContext, type Skipped } from './scenarios/scenario';
import { prepareTransformersJs, type TransformersJsOptions, type TransformersJsResult } from './scenarios/transformersjs';
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
  /** Called after every timed call, outside the timing (may return a promise, e.g. a paint). Default: none. */
  progress?: (p: BenchProgress) => void | Promise<void>;
}

const quiet = { log: (_message: string): void => {}, progress: (_p: BenchProgress): void | Promise<void> => {}, matryoshka: {}, transformersjs: {} };

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
  const matryoshka = await prepareMatryoshka(ctx, env.createReranker, env.matryoshka);
  let reference: PreparedMatryoshka | Skipped = { skipped: 'no --reference-model' };
  try {
    if (settings.referenceModel !== undefined && !isSkipped(matryoshka)) {
      reference = await prepareMatryoshka(ctx, env.createReranker, env.matryoshka,
        { location: settings.referenceModel, reference: { samePrecisionAs: matryoshka.model.precision } });
    }
    const hf = env.transformersjs === false ? { skipped: 'disabled' } : await prepareTransformersJs(ctx, env.transformersjs);
    try {
      // Every system side by side, query by query (scenarios/rerank.ts): ratios share the machine's load.
      const mine = [matryoshka, reference].flatMap((m) => (isSkipped(m) ? [] : m.systems));
      const outcomes = await measureSideBySide(ctx, [...mine, ...(isSkipped(hf) ? [] : hf.systems)]);
      const rows = mine.map((s, i) => s.finish(outcomes[i]!));
      const fullConfig = isSkipped(matryoshka) ? null : matryoshka.fullConfig;
      const fullPerQueryMs = setLatencyRatios(rows, outcomes.slice(0, rows.length).map((o) => o.perQueryMs), fullConfig);
      for (const r of rows) env.log(`${r.config}: nDCG@10 ${r.metrics['nDCG@10']?.toFixed(4)}, median ${r.latency.medianMs.toFixed(1)} ms, ${r.latencyRatio?.toFixed(2) ?? '-'} x full`);
      const peer = (i: 0 | 1): TransformersJsResult | Skipped => (isSkipped(hf) ? hf : hf.systems[i].finish(outcomes[rows.length + i]!)(fullPerQueryMs));
      return report(rows, fullConfig, peer(0), peer(1));
    } finally {
      if (!isSkipped(hf)) await hf.dispose();
    }
  } finally {
    if (!isSkipped(reference)) await reference.dispose();
    if (!isSkipped(matryoshka)) await matryoshka.dispose();
  }

  function report(rows: ModelRow[], fullConfig: string | null, transformersjs: TransformersJsResult | Skipped, transformersjsSameBatches: TransformersJsResult | Skipped): BenchReport {
    return {
      dataset: { name: env.datasetName, location: settings.dataset, split: settings.split, querySplit: settings.querySplit, documents: dataset.corpus.length },
      backend: settings.backend,
      machine: env.machine,
      queries: queries.length,
      topK: settings.topK,
      model: isSkipped(matryoshka) ? matryoshka : matryoshka.model,
      ...(isSkipped(reference) ? {} : { referenceModel: reference.model }),
      fullConfig,
      rows,
      peers: { bm25, transformersjs, transformersjsSameBatches },
      createdAt: new Date().toISOString(),
    };
  }
}
