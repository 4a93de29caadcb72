/**
 * Scoring many rows with one configuration: length-bucketed batches, each run from the
 * embeddings to the exit layer, scores written back by row index. Only one batch's hidden
 * states exist at a time, so memory does not grow with the number of passages.
 */
import { type BatchLimits, lengthBuckets } from './batching';
import type { ResolvedConfig } from './config';
import { throwIfAborted } from './errors';
import { yieldToEventLoop } from './event-loop';
import type { BatchState, Forward } from './forward';
import { type LayerStep, plan } from './plan';
import type { TokenizedRow } from './tokenize';

export interface RunContext {
  forward: Forward;
  limits: BatchLimits;
  signal?: AbortSignal;
}

/**
 * In a call with an AbortSignal, one layer step (which blocks the thread: onnxruntime's WASM
 * cannot be interrupted) is sized to take about this long, so an abort is seen within about
 * one step. Without a signal, batches run whole.
 */
export const ABORTABLE_STEP_MS = 60;

/**
 * How many of `rows` (a planned batch, `width` its longest row) to run as one step now: all
 * without a signal; with one, as many as fit ABORTABLE_STEP_MS at the measured cost (a single
 * row before anything was measured).
 */
export function rowsPerStep(ctx: RunContext, width: number, rows: number): number {
  if (!ctx.signal) return rows;
  const ms = ctx.forward.msPerTokenLayer;
  if (!(ms > 0)) return 1;
  return Math.max(1, Math.min(rows, Math.floor(ABORTABLE_STEP_MS / (ms * Math.max(1, width)))));
}

/** Split planned batches into steps of `rowsPerStep`, decided as each step starts. */
export function* abortableSteps(ctx: RunContext, batches: number[][], width: (k: number) => number): Generator<number[]> {
  for (const planned of batches) {
    let rest = planned;
    while (rest.length) {
      const w = Math.max(...rest.map(width));
      const take = rowsPerStep(ctx, w, rest.length);
      yield rest.slice(0, take);
      rest = rest.slice(take);
    }
  }
}

/**
 * Advance a batch through the steps of `steps` (a plan) after its current layer and return the
 * exit score of the last one. The state stays paused there; the caller releases it. Only a
 * `resumable` run keeps every row of its last layer (to be resumed deeper, src/progressive.ts).
 */
export async function runToDepth(ctx: RunContext, state: BatchState, steps: readonly LayerStep[], resumable = false): Promise<Float32Array> {
  if (steps.length <= state.layer) throw new RangeError(`runToDepth: batch already at layer ${state.layer}, asked for ${steps.length}`);
  // onnxruntime's WASM runs resolve without a macrotask turn: yield so a timer or a worker's
  // abort message is seen between layers, not only between batches.
  return ctx.forward.run(state, steps, async () => {
    if (ctx.signal) await yieldToEventLoop();
    throwIfAborted(ctx.signal);
  }, resumable);
}

/**
 * Score `rows[indices[i]]` with `cfg` (run as its plan, src/plan.ts); returns scores aligned with `indices`. `onBatch` sees
 * each paused batch (after the exit layer) before it is released, with the batch's positions
 * in `indices` and its scores: progressive re-ranking keeps rows from there, and passes
 * `resumable` so that their states can go deeper.
 */
export async function scoreRows(
  ctx: RunContext,
  rows: readonly TokenizedRow[],
  indices: readonly number[],
  cfg: ResolvedConfig,
  onBatch?: (state: BatchState, members: number[], scores: Float32Array) => Promise<void>,
  resumable = false,
): Promise<Float32Array> {
  const steps = plan(cfg, ctx.forward.manifest);
  const out = new Float32Array(indices.length);
  const lengths = indices.map((i) => rows[i]!.ids.length);
  for (const batch of abortableSteps(ctx, lengthBuckets(lengths, ctx.limits), (k) => lengths[k]!)) {
    await yieldToEventLoop();
    throwIfAborted(ctx.signal);
    const state = await ctx.forward.embed(batch.map((k) => rows[indices[k]!]!));
    try {
      const scores = await runToDepth(ctx, state, steps, resumable);
      batch.forEach((k, b) => { out[k] = scores[b]!; });
      if (onBatch) await onBatch(state, batch, scores);
    } finally {
      ctx.forward.release(state);
    }
  }
  return out;
}
