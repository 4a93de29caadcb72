/**
 * Scenario `matryoshka`: one report row per configuration of the bundle. Each row re-ranks the
 * BM25 candidates with `rank(query, passages, { config })` and times the call. The reranker
 * comes from `createReranker` (src/index.ts); while that is not there the rows are skipped
 * with the reason and the BM25 path still runs.
 */
import type { CalibratedConfig, RerankerInterface, RerankerOptions } from '../../src/types';
import { ArgsError } from '../args';
import { summarize, type LatencySummary } from '../latency';
import { rerankAll } from './rerank';
import { errorMessage, type ScenarioContext, type Skipped, type SystemResult } from './scenario';

export interface ModelRow extends SystemResult {
  config: string;
  depth: number;
  compress: CalibratedConfig['compress'];
  flopsRatio: number;
  /** The trainer's calibration (manifest `dev`), for comparison. */
  calibratedDevNdcg10: number | null;
  /** Model time per query as the engine reports it (`timings.modelMs`), without tokenization. */
  modelLatency: LatencySummary;
  /** Share of candidate passages cut to the model's maximum length. */
  truncatedShare: number;
}

export interface MatryoshkaResult {
  model: { location: string; name: string; numLayers: number; backend: string; backendReason: string } | Skipped;
  rows: ModelRow[];
}

type CreateReranker = (options: RerankerOptions) => Promise<RerankerInterface>;

/** Imports `createReranker` from src/index.ts, or says why it cannot. */
export async function loadCreateReranker(): Promise<CreateReranker | Skipped> {
  const specifier = '../../src/index'; // a variable: the module may not exist yet
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (err) {
    return { skipped: `src/index.ts could not be loaded (${errorMessage(err)}); model rows need createReranker from it.` };
  }
  const create = (mod as { createReranker?: unknown }).createReranker;
  if (typeof create !== 'function') return { skipped: 'src/index.ts does not export createReranker yet; model rows skipped.' };
  return create as CreateReranker;
}

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

export async function runMatryoshka(ctx: ScenarioContext): Promise<MatryoshkaResult> {
  const create = await loadCreateReranker();
  if (typeof create !== 'function') {
    ctx.log(`matryoshka: ${create.skipped}`);
    return { model: create, rows: [] };
  }
  const reranker = await create({ model: ctx.args.model, backend: ctx.args.backend });
  try {
    const info = await reranker.info();
    const configs = selectConfigs(info.configurations, ctx.args.configs);
    const rows: ModelRow[] = [];
    for (const config of configs) {
      const calls: Array<{ modelMs: number; truncated: number; passages: number }> = [];
      const result = await rerankAll(ctx, async (query, texts) => {
        const ranked = await reranker.rank(query, texts, { config: config.name });
        const scores = new Array<number>(texts.length).fill(Number.NEGATIVE_INFINITY);
        for (const r of ranked.results) scores[r.index] = r.score;
        calls.push({ modelMs: ranked.timings.modelMs, truncated: ranked.results.filter((r) => r.truncated).length, passages: texts.length });
        return scores;
      }, { label: `matryoshka ${config.name}` });
      // The first call(s) were warm-up: keep the timed ones, as `latency` does.
      const timed = calls.slice(calls.length - result.latency.count);
      const passages = timed.reduce((s, c) => s + c.passages, 0);
      rows.push({
        config: config.name,
        depth: config.depth,
        compress: config.compress ?? null,
        flopsRatio: config.flopsRatio,
        calibratedDevNdcg10: config.dev?.ndcg10 ?? null,
        ...result,
        modelLatency: summarize(timed.map((c) => c.modelMs)),
        truncatedShare: passages > 0 ? timed.reduce((s, c) => s + c.truncated, 0) / passages : 0,
      });
      ctx.log(`matryoshka ${config.name}: nDCG@10 ${result.metrics['nDCG@10']?.toFixed(4)}, median ${result.latency.medianMs.toFixed(1)} ms`);
    }
    return {
      model: { location: ctx.args.model, name: info.name, numLayers: info.numLayers, backend: info.backend, backendReason: info.reason },
      rows,
    };
  } finally {
    await reranker.dispose();
  }
}
