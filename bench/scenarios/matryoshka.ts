/**
 * Scenario `matryoshka`: one report row per configuration of the bundle, then one per progressive
 * schedule (scenarios/progressive.ts). Each row re-ranks the BM25 candidates with
 * `rank(query, passages, { config })`; the runner times every system side by side
 * (scenarios/rerank.ts). The full configuration (depth =
 * numLayers, no compression) always runs: every row's `latencyRatio` is its per-query time over
 * the full configuration's on the same query (bench/latency.ts), next to its `flopsRatio`.
 * The reranker factory is passed in (createReranker from src/index.ts), so this runs in Node and
 * in the browser alike.
 */
import type { CalibratedConfig, ProgressiveStage, RankShape, RerankerInterface, RerankerOptions } from '../../src/types';
import { dataFlopsRatio, type FlopsModel } from '../flops';
import { medianLatencyRatio, summarize, type LatencySummary } from '../latency';
import { ArgsError } from '../settings';
import { progressiveSystem } from './progressive';
import type { PreparedSystem, ScenarioContext, Skipped, SystemResult } from './scenario';

export interface ModelRow extends SystemResult {
  /** Configuration name from the manifest, or the schedule's name for a progressive row. */
  config: string;
  /** Exit layer (the last stage's for a progressive row). */
  depth: number;
  compress: CalibratedConfig['compress'];
  /** The manifest's FLOPs ratio; for a progressive row, the mean over queries of what it spent. */
  flopsRatio: number;
  /**
   * FLOPs over the full configuration's on the rows this row's timed calls ran, each pair at its
   * own length (bench/flops.ts): the manifest's ratio is at one reference length. Absent on progressive rows.
   */
  dataFlopsRatio?: number;
  /** Median over queries of this row's time over the full configuration's (null: not measured). */
  latencyRatio: number | null;
  /** The trainer's calibration (manifest `dev`), for comparison. */
  calibratedDevNdcg10: number | null;
  /** Model time per query as the engine reports it (`timings.modelMs`), without tokenization. */
  modelLatency: LatencySummary;
  /** Share of candidate passages cut to the model's maximum length. */
  truncatedShare: number;
  /** Present on progressive rows: the stages. */
  progressive?: ProgressiveStage[];
}

export interface MatryoshkaResult {
  model: { location: string; name: string; numLayers: number; backend: string; backendReason: string; precision?: string } | Skipped;
}

export type CreateReranker = (options: RerankerOptions) => Promise<RerankerInterface>;

export interface MatryoshkaOptions {
  /** Reranker options besides `model` and `backend` (e.g. `numThreads`, `cache`). Default none. */
  reranker?: Omit<RerankerOptions, 'model' | 'backend'>;
}

export const defaultMatryoshkaOptions = { reranker: {} } satisfies MatryoshkaOptions;

/** The configurations asked for by `--configs`, in manifest order; throws listing valid names. */
export function selectConfigs(available: CalibratedConfig[], wanted: 'all' | string[]): CalibratedConfig[] {
  if (wanted === 'all') return available;
  const names = available.map((c) => c.name);
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new ArgsError(`unknown configuration(s) ${unknown.map((n) => `"${n}"`).join(', ')} in --configs. The bundle has: ${names.join(', ')}.`);
  }
  return available.filter((c) => wanted.includes(c.name));
}

/** The full configuration: deepest exit without compression (else the largest flopsRatio). */
export function fullConfiguration(configs: readonly CalibratedConfig[], numLayers: number): CalibratedConfig | undefined {
  return configs.find((c) => c.depth === numLayers && !c.compress) ?? [...configs].sort((a, b) => b.flopsRatio - a.flopsRatio)[0];
}

/** The reranker loaded, one system per configuration and schedule, ready to be measured. */
export interface PreparedMatryoshka {
  model: Exclude<MatryoshkaResult['model'], Skipped>;
  fullConfig: string | null;
  systems: PreparedSystem<ModelRow>[];
  dispose(): Promise<void>;
}

/** A row's configuration as a measured system: `rank(query, passages, { config })`; `row` names the row. */
function configSystem(reranker: RerankerInterface, model: FlopsModel, config: CalibratedConfig, row = config.name): PreparedSystem<ModelRow> {
  const calls: Array<{ modelMs: number; truncated: number; passages: number; shape: RankShape }> = [];
  return {
    label: `matryoshka ${row}`,
    score: async (query, texts) => {
      const ranked = await reranker.rank(query, texts, { config: config.name });
      const scores = new Array<number>(texts.length).fill(Number.NEGATIVE_INFINITY);
      for (const r of ranked.results) scores[r.index] = r.score;
      calls.push({ modelMs: ranked.timings.modelMs, truncated: ranked.results.filter((r) => r.truncated).length, passages: texts.length, shape: ranked.shape });
      return scores;
    },
    finish: ({ result }) => {
      // The first call(s) were warm-up: keep the timed ones, as `latency` does.
      const timed = calls.slice(calls.length - result.latency.count);
      const passages = timed.reduce((s, c) => s + c.passages, 0);
      return {
        config: row,
        depth: config.depth,
        compress: config.compress ?? null,
        flopsRatio: config.flopsRatio,
        dataFlopsRatio: dataFlopsRatio(config, model, timed.map((c) => c.shape)),
        latencyRatio: null,
        calibratedDevNdcg10: config.dev?.ndcg10 ?? null,
        ...result,
        modelLatency: summarize(timed.map((c) => c.modelMs)),
        truncatedShare: passages > 0 ? timed.reduce((s, c) => s + c.truncated, 0) / passages : 0,
      };
    },
  };
}

/** The bundle a {@link prepareMatryoshka} call loads: `ctx.args.model` unless told otherwise. */
export interface BundleChoice {
  /** Bundle folder or URL. */
  location: string;
  /**
   * Set for a reference bundle (`--reference-model`): its rows are named `<config>@<tag>`, where
   * the tag is the bundle's precision unless it equals `samePrecisionAs` (then `ref`); no schedules.
   */
  reference?: { samePrecisionAs: string | undefined };
}

/** Loads the reranker and prepares the configurations asked for (plus the full one) and the schedules. */
export async function prepareMatryoshka(
  ctx: ScenarioContext,
  create: CreateReranker | Skipped,
  options: MatryoshkaOptions = {},
  bundle: BundleChoice = { location: ctx.args.model },
): Promise<PreparedMatryoshka | Skipped> {
  const opts = { ...defaultMatryoshkaOptions, ...options };
  if (typeof create !== 'function') {
    ctx.log(`matryoshka: ${create.skipped}`);
    return create;
  }
  const reranker = await create({ ...opts.reranker, model: bundle.location, backend: ctx.args.backend });
  try {
    const info = await reranker.info();
    const full = fullConfiguration(info.configurations, info.numLayers);
    const picked = selectConfigs(info.configurations, ctx.args.configs);
    const configs = info.configurations.filter((c) => c === full || picked.includes(c));
    const schedules = bundle.reference ? [] : ctx.args.progressive ?? [];
    const precision = info.precision ?? 'float16';
    const tag = !bundle.reference ? '' : `@${precision === bundle.reference.samePrecisionAs ? 'ref' : precision}`;
    for (const stages of schedules) {
      const bad = stages.filter((s) => !info.exits.includes(s.depth));
      if (bad.length > 0) throw new ArgsError(`progressive schedule depth(s) ${bad.map((s) => s.depth).join(', ')} are not exits of the bundle; use ${info.exits.join(', ')}.`);
    }
    return {
      model: { location: bundle.location, name: info.name, numLayers: info.numLayers, backend: info.backend, backendReason: info.reason, precision },
      fullConfig: full ? `${full.name}${tag}` : null,
      systems: [...configs.map((c) => configSystem(reranker, info, c, `${c.name}${tag}`)), ...schedules.map((stages) => progressiveSystem(reranker, info, stages))],
      dispose: () => reranker.dispose(),
    };
  } catch (err) {
    await reranker.dispose();
    throw err;
  }
}

/** Sets every row's `latencyRatio` from the per-query times (same order as `rows`). */
export function setLatencyRatios(rows: ModelRow[], perQueryMs: readonly Map<string, number>[], fullConfig: string | null): Map<string, number> {
  const index = rows.findIndex((r) => r.config === fullConfig);
  const full = perQueryMs[index] ?? new Map<string, number>();
  rows.forEach((row, i) => {
    row.latencyRatio = index >= 0 ? medianLatencyRatio(perQueryMs[i] ?? new Map(), full) : null;
  });
  return full;
}
