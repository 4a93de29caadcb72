/**
 * Progressive re-ranking: score every candidate at a shallow exit, keep the best `keep`,
 * continue only those deeper, and so on. Later stages resume from the hidden states the
 * earlier stage computed (no layer runs twice for a row), so each stage's scores equal a
 * direct `rank` at that depth.
 *
 * Exactness: each stage runs the plan (src/plan.ts) of a direct call at its depth, and resumes
 * only where its plan runs the previous stage's layers alike. Compression follows the call's
 * `compress`, each stage using the layers of it that are <= its depth (what a direct call at
 * that depth needs), so the stages below the full depth share their layers and resume. Every
 * configuration with depth < numLayers runs the `vertical` adapter in every layer and the
 * full-depth one runs without it, so a final stage at the full depth cannot reuse them and runs
 * its kept rows from the embeddings (reported as `resumed: false`).
 */
import { lengthBuckets, topIndices } from './batching';
import { atDepth, resolveConfig, type ResolvedConfig } from './config';
import { ConfigError, OptionsError, showValue, throwIfAborted } from './errors';
import { yieldToEventLoop } from './event-loop';
import type { RowState } from './forward';
import type { Manifest } from './manifest';
import { rowLength } from './merge-plan';
import { type LayerStep, plan, sharePrefix } from './plan';
import { abortableSteps, runToDepth, scoreRows, type RunContext } from './scoring';
import type { TokenizedRow } from './tokenize';
import type { CompressSpec, ProgressiveStage, RankedPassage } from './types';

export interface StagePlan {
  depth: number;
  /** Rows that continue after this stage (Infinity on the last). */
  keep: number;
  cfg: ResolvedConfig;
  /** The plan of `cfg`: what the stage runs at each layer. */
  steps: LayerStep[];
  /** Continue from the previous stage's hidden states (its plan runs the earlier layers alike), else run from the embeddings. */
  resume: boolean;
}

/** Validate stages against the manifest and decide which stages resume. */
export function planStages(stages: unknown, compress: CompressSpec | null | undefined, manifest: Manifest): StagePlan[] {
  const exits = manifest.exits.join(', ');
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new OptionsError(`MatryoshkaReranker: option "stages" must be a non-empty array like [{ depth: 2, keep: 20 }, { depth: ${manifest.architecture.numLayers} }]; valid depths: ${exits}`);
  }
  const list = stages as ProgressiveStage[];
  // Every stage is checked before anything else, so a bad depth is the same ConfigError at
  // any position (the last stage's depth also picks the compression below).
  list.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) {
      throw new OptionsError(`MatryoshkaReranker: stages[${i}] must be an object { depth, keep }, got ${showValue(s)}`);
    }
    if (!manifest.exits.includes(s.depth)) {
      throw new ConfigError(`MatryoshkaReranker: stages[${i}].depth ${showValue(s.depth)} is not an exit layer; valid depths: ${exits}`);
    }
    if (i > 0 && s.depth <= list[i - 1]!.depth) {
      throw new OptionsError(`MatryoshkaReranker: stages must go strictly deeper: stages[${i}].depth ${s.depth} <= stages[${i - 1}].depth ${list[i - 1]!.depth}`);
    }
    if (i < list.length - 1 && (typeof s.keep !== 'number' || !Number.isInteger(s.keep) || s.keep < 1)) {
      throw new OptionsError(`MatryoshkaReranker: stages[${i}].keep must be a positive integer (how many candidates continue to depth ${list[i + 1]!.depth}), got ${showValue(s.keep)}`);
    }
  });
  const last = list[list.length - 1]!;
  const full = resolveConfig({ depth: last.depth, compress: compress ?? null }, manifest);
  const out: StagePlan[] = [];
  list.forEach((s, i) => {
    const cfg = atDepth(full, s.depth);
    const steps = plan(cfg, manifest);
    const prev = out[i - 1];
    out.push({ depth: s.depth, keep: i === list.length - 1 ? Infinity : s.keep!, cfg, steps, resume: !!prev && sharePrefix(prev.steps, steps, prev.depth) });
  });
  return out;
}

export interface StageOutcome {
  depth: number;
  scored: number;
  resumed: boolean;
  /** Ranking of every passage after this stage. */
  ranking: RankedPassage[];
}

/** Candidates kept by a stage: the best `keep` by score, and their paused rows if needed. */
export class Keeper {
  readonly best: { index: number; score: number }[] = [];
  readonly states = new Map<number, RowState>();
  constructor(private readonly keep: number, private readonly withStates: boolean) {}

  /** Offer a batch's rows; returns the batch positions that entered the best set. */
  offer(indices: number[], scores: Float32Array): number[] {
    const entries = [...this.best, ...indices.map((index, b) => ({ index, score: scores[b]!, b }))];
    entries.sort((x, y) => y.score - x.score || x.index - y.index);
    const kept = entries.slice(0, this.keep);
    const keptSet = new Set(kept.map((e) => e.index));
    for (const e of this.best) if (!keptSet.has(e.index)) this.states.delete(e.index);
    this.best.length = 0;
    this.best.push(...kept.map(({ index, score }) => ({ index, score })));
    return kept.filter((e): e is typeof e & { b: number } => 'b' in e && e.b !== undefined).map((e) => e.b);
  }
}

export async function runProgressive(
  ctx: RunContext,
  rows: readonly TokenizedRow[],
  plan: readonly StagePlan[],
  onStage?: (stage: number, outcome: StageOutcome) => void,
): Promise<StageOutcome[]> {
  const outcomes: StageOutcome[] = [];
  let candidates = rows.map((_, i) => i);
  let states = new Map<number, RowState>();
  let ranking: RankedPassage[] = [];
  for (let s = 0; s < plan.length; s++) {
    throwIfAborted(ctx.signal);
    const stage = plan[s]!;
    const next = plan[s + 1];
    const keeper = next ? new Keeper(stage.keep, next.resume) : null;
    // the next stage resumes this one's states: its last layer must compute every row
    const resumes = next?.resume === true;
    const scores = new Map<number, number>();
    const record = async (indices: number[], sc: Float32Array, extract: (which: number[]) => Promise<RowState[]>) => {
      indices.forEach((i, b) => scores.set(i, sc[b]!));
      if (!keeper) return;
      const entered = keeper.offer(indices, sc);
      if (next!.resume && entered.length) {
        const got = await extract(entered);
        entered.forEach((b, k) => keeper.states.set(indices[b]!, got[k]!));
      }
    };
    if (!stage.resume) {
      await scoreRows(ctx, rows, candidates, stage.cfg, (state, members, sc) =>
        record(members.map((k) => candidates[k]!), sc, (which) => ctx.forward.extractRows(state, which)), resumes);
    } else {
      const lengths = candidates.map((i) => { const r = states.get(i)!; return rowLength(r.qLen, r.pLen); });
      for (const batch of abortableSteps(ctx, lengthBuckets(lengths, ctx.limits), (k) => lengths[k]!)) {
        await yieldToEventLoop();
        throwIfAborted(ctx.signal);
        const indices = batch.map((k) => candidates[k]!);
        const state = ctx.forward.fromRows(indices.map((i) => states.get(i)!));
        indices.forEach((i) => states.delete(i));
        try {
          const sc = await runToDepth(ctx, state, stage.steps, resumes);
          await record(indices, sc, (which) => ctx.forward.extractRows(state, which));
        } finally {
          ctx.forward.release(state);
        }
      }
    }
    const scoredOrder = topIndices(scoreArray(scores, rows.length), candidates.length, candidates);
    const stageRanking = scoredOrder.map((index) => ({ index, score: scores.get(index)!, truncated: rows[index]!.truncated, depth: stage.depth }));
    const scoredSet = new Set(candidates);
    ranking = [...stageRanking, ...ranking.filter((r) => !scoredSet.has(r.index))];
    const outcome = { depth: stage.depth, scored: candidates.length, resumed: stage.resume, ranking };
    outcomes.push(outcome);
    onStage?.(s, outcome);
    if (keeper) {
      candidates = keeper.best.map((e) => e.index);
      states = keeper.states;
    }
  }
  return outcomes;
}

function scoreArray(scores: Map<number, number>, n: number): Float64Array {
  const a = new Float64Array(n).fill(-Infinity);
  for (const [i, v] of scores) a[i] = v;
  return a;
}
