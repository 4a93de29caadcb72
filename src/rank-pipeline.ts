/**
 * The ranking pipeline: what one `rank` or `rankProgressive` call does once the engine's call
 * queue (src/engine.ts) runs it. Tokenize in slices (abortable), pick the configuration (the
 * explicit one, or the `chooseConfig` strategy for `budgetMs`), wait for its layers, score in
 * length-bucketed batches (src/scoring.ts, src/progressive.ts), fuse with first-stage scores,
 * sort. Holds no state: the engine hands over what it owns in a `PipelineContext`.
 */
import type { BatchLimits } from './batching';
import { resolveConfig, toRerankConfig, type ResolvedConfig } from './config';
import { OptionsError } from './errors';
import type { Forward } from './forward';
import { checkFirstStageLength, DEFAULT_FUSION_WEIGHT, fuseScores } from './fusion';
import type { Manifest } from './manifest';
import { planStages, runProgressive } from './progressive';
import { scoreRows } from './scoring';
import type { RowTokenizer, TokenizedRow } from './tokenize';
import type {
  CalibratedConfig, ConfigChooser, ControllerDecision, ProgressiveOptions, ProgressiveResult, RankedPassage, RankOptions,
  RankResult, RankShape, ResolvedBackend,
} from './types';

/** What the pipeline needs from the engine that runs it. */
export interface PipelineContext {
  forward: Forward;
  tokenizer: RowTokenizer;
  manifest: Manifest;
  backend: ResolvedBackend;
  limits: BatchLimits;
  /** The `budgetMs` strategy (option `chooseConfig`), if any. */
  chooseConfig?: ConfigChooser;
  /** Configurations the layers loaded so far can run (progressive loading). */
  runnable(): CalibratedConfig[];
  /** Wait until the first `depth` layers are loaded (rejects with the loading error). */
  needLayers(depth: number): Promise<void>;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The shape of a call as it runs (reported in `RankResult.shape` and to `chooseConfig`). */
export function shapeOfRows(rows: readonly TokenizedRow[], limits: BatchLimits): RankShape {
  return {
    qLen: rows[0]?.qLen ?? 0,
    lengths: rows.map((r) => r.ids.length),
    limits: { batchSize: limits.batchSize, maxBatchTokens: limits.maxBatchTokens },
  };
}

/** Tokenize in slices, yielding to the event loop so an abort is seen within ~20 ms. */
async function tokenize(ctx: PipelineContext, query: string, passages: string[], signal?: AbortSignal): Promise<{ rows: TokenizedRow[]; queryTruncated: boolean; ms: number }> {
  const t0 = now();
  const out = await ctx.tokenizer.rowsAsync(query, passages, signal);
  return { ...out, ms: now() - t0 };
}

/** The explicit configuration, or the strategy's pick for `budgetMs` (with its decision). */
async function chooseConfig(ctx: PipelineContext, options: RankOptions, shape: RankShape): Promise<{ cfg: ResolvedConfig; decision?: ControllerDecision }> {
  if (options.budgetMs === undefined) return { cfg: resolveConfig(options.config, ctx.manifest) };
  if (!ctx.chooseConfig) {
    throw new OptionsError('MatryoshkaReranker: option "budgetMs" needs a controller: pass createReranker({ chooseConfig }) or use option "config" instead');
  }
  const decision = await ctx.chooseConfig({
    budgetMs: options.budgetMs,
    lengths: [...shape.lengths],
    configurations: ctx.runnable().map((c) => ({ ...c })),
    backend: ctx.backend,
    qLen: shape.qLen,
    limits: { ...shape.limits },
  });
  return { cfg: resolveConfig(decision.config, ctx.manifest), decision };
}

/** One `rank` call (options already checked). */
export async function rankPipeline(ctx: PipelineContext, query: string, passages: string[], options: RankOptions): Promise<RankResult> {
  const t0 = now();
  // a count mismatch fails before any model work
  if (options.firstStageScores && Array.isArray(passages)) checkFirstStageLength(options.firstStageScores, passages.length);
  const tok = await tokenize(ctx, query, passages, options.signal);
  const shape = shapeOfRows(tok.rows, ctx.limits);
  const { cfg, decision } = await chooseConfig(ctx, options, shape);
  await ctx.needLayers(cfg.depth);
  const t1 = now();
  const run = { forward: ctx.forward, limits: ctx.limits, ...(options.signal ? { signal: options.signal } : {}) };
  const scores = await scoreRows(run, tok.rows, tok.rows.map((_, i) => i), cfg);
  const t2 = now();
  let results: RankedPassage[] = tok.rows.map((r, index) => ({ index, score: scores[index]!, truncated: r.truncated, depth: cfg.depth }));
  let fusionWeight: number | undefined;
  if (options.firstStageScores) {
    fusionWeight = options.fusionWeight ?? ctx.manifest.fusion?.weight ?? DEFAULT_FUSION_WEIGHT;
    const fused = fuseScores(scores, options.firstStageScores, fusionWeight);
    results = results.map((r) => ({ ...r, modelScore: r.score, score: fused[r.index]! }));
  }
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  if (options.topK !== undefined) results = results.slice(0, options.topK);
  return {
    results,
    config: toRerankConfig(cfg),
    backend: ctx.backend,
    timings: { tokenizeMs: tok.ms, modelMs: t2 - t1, totalMs: now() - t0 },
    shape,
    ...(decision ? { decision } : {}),
    ...(fusionWeight !== undefined ? { fusionWeight } : {}),
    queryTruncated: tok.queryTruncated,
  };
}

/** One `rankProgressive` call (options already checked). */
export async function progressivePipeline(ctx: PipelineContext, query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
  const t0 = now();
  const plan = planStages(options.stages, options.compress, ctx.manifest);
  await ctx.needLayers(Math.max(...plan.map((p) => p.depth)));
  const tok = await tokenize(ctx, query, passages, options.signal);
  const t1 = now();
  const run = { forward: ctx.forward, limits: ctx.limits, ...(options.signal ? { signal: options.signal } : {}) };
  const outcomes = await runProgressive(run, tok.rows, plan, (s, o) => options.onStage?.(s, o.ranking));
  const t2 = now();
  const last = plan[plan.length - 1]!;
  const final = outcomes[outcomes.length - 1]?.ranking ?? [];
  return {
    results: options.topK === undefined ? final : final.slice(0, options.topK),
    config: toRerankConfig(last.cfg),
    backend: ctx.backend,
    timings: { tokenizeMs: t1 - t0, modelMs: t2 - t1, totalMs: now() - t0 },
    shape: shapeOfRows(tok.rows, ctx.limits),
    queryTruncated: tok.queryTruncated,
    stages: outcomes.map((o) => ({ depth: o.depth, scored: o.scored, resumed: o.resumed, results: o.ranking })),
  };
}
