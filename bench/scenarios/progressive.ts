/**
 * Progressive re-ranking in the suite. Schedules: parsing `2:20,6` (score all candidates at
 * exit 2, keep the best 20, score those at depth 6), the default schedule of a bundle, a row
 * name, and the FLOPs a schedule spent on one query relative to the full configuration.
 * As a report row: `rankProgressive(query, passages, { stages })` scores every candidate at the
 * first stage's exit, keeps the best `keep`, and goes deeper. The final ranking (deepest stage
 * first, then score: src/types.ts) is evaluated as is, and the row's `flopsRatio` is what the
 * stages actually spent, averaged over the timed queries.
 */
import type { CalibratedConfig, ProgressiveStage, RerankerInterface } from '../../src/types';
import { summarize } from '../latency';
import { ArgsError } from '../settings';
import type { ModelRow } from './matryoshka';
import type { PreparedSystem } from './scenario';

/** `depth:keep,depth:keep,...,depth` -> stages. Throws {@link ArgsError} saying how to write it. */
export function parseSchedule(text: string): ProgressiveStage[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  const stages = parts.map((part, i): ProgressiveStage => {
    const [d = '', k, ...extra] = part.split(':');
    const depth = Number(d);
    const keep = k === undefined ? undefined : Number(k);
    const last = i === parts.length - 1;
    if (!Number.isInteger(depth) || depth < 1 || extra.length > 0 || (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) || (!last && keep === undefined)) {
      throw new ArgsError(`progressive schedule "${text}": write stages as depth:keep separated by commas, the last one a bare depth (e.g. 2:20,6).`);
    }
    return keep === undefined ? { depth } : { depth, keep };
  });
  if (stages.length < 2) throw new ArgsError(`progressive schedule "${text}" needs at least two stages (e.g. 2:20,6).`);
  return stages;
}

/** `;`-separated schedules (e.g. `2:20,6;3:10,6`). */
export function parseSchedules(text: string): ProgressiveStage[][] {
  return text.split(';').map((s) => s.trim()).filter(Boolean).map(parseSchedule);
}

/** The default schedule: the shallowest exit on every candidate, the best quarter (at least 10) at full depth. */
export function defaultSchedule(exits: readonly number[], numLayers: number, topK: number): ProgressiveStage[] {
  const first = Math.min(...exits);
  return [{ depth: first, keep: Math.max(10, Math.ceil(topK / 4)) }, { depth: numLayers }];
}

/** Row name, e.g. `prog d2>20 d6`. */
export function scheduleName(stages: readonly ProgressiveStage[]): string {
  return `prog ${stages.map((s, i) => (i < stages.length - 1 ? `d${s.depth}>${s.keep ?? '?'}` : `d${s.depth}`)).join(' ')}`;
}

/**
 * FLOPs ratio of an uncompressed depth: the manifest's row for that depth when there is one,
 * else depth / numLayers (layers cost the same; the exit head is negligible).
 */
export function depthFlopsRatio(depth: number, numLayers: number, configs: readonly CalibratedConfig[]): number {
  const row = configs.find((c) => c.depth === depth && !c.compress);
  return row ? row.flopsRatio : depth / numLayers;
}

/**
 * FLOPs of one progressive call relative to running the full configuration on every candidate:
 * each stage costs its rows times its depth (from the embeddings) or the extra layers (resumed).
 */
export function progressiveFlopsRatio(
  stages: readonly { depth: number; scored: number; resumed: boolean }[],
  candidates: number,
  numLayers: number,
  configs: readonly CalibratedConfig[],
): number {
  if (candidates === 0) return 0;
  let total = 0;
  let previousDepth = 0;
  for (const s of stages) {
    const from = s.resumed && previousDepth > 0 ? depthFlopsRatio(previousDepth, numLayers, configs) : 0;
    total += (depthFlopsRatio(s.depth, numLayers, configs) - from) * (s.scored / candidates);
    previousDepth = s.depth;
  }
  return total;
}

export interface ScheduleModelInfo {
  numLayers: number;
  configurations: CalibratedConfig[];
}

/** A schedule as a measured system: `rankProgressive(query, passages, { stages })`. */
export function progressiveSystem(reranker: RerankerInterface, info: ScheduleModelInfo, stages: ProgressiveStage[]): PreparedSystem<ModelRow> {
  const name = scheduleName(stages);
  const calls: Array<{ modelMs: number; truncated: number; passages: number; flops: number }> = [];
  return {
    label: `matryoshka ${name}`,
    score: async (query, texts) => {
      const ranked = await reranker.rankProgressive(query, texts, { stages });
      // Scores of different depths do not compare: rank by the returned order instead.
      const scores = new Array<number>(texts.length).fill(Number.NEGATIVE_INFINITY);
      ranked.results.forEach((r, position) => {
        scores[r.index] = -position;
      });
      calls.push({
        modelMs: ranked.timings.modelMs,
        truncated: ranked.results.filter((r) => r.truncated).length,
        passages: texts.length,
        flops: progressiveFlopsRatio(ranked.stages, texts.length, info.numLayers, info.configurations),
      });
      return scores;
    },
    finish: ({ result }) => {
      const timed = calls.slice(calls.length - result.latency.count);
      const passages = timed.reduce((s, c) => s + c.passages, 0);
      const last = stages[stages.length - 1];
      return {
        config: name,
        depth: last?.depth ?? 0,
        compress: null,
        flopsRatio: timed.length > 0 ? timed.reduce((s, c) => s + c.flops, 0) / timed.length : Number.NaN,
        latencyRatio: null,
        calibratedDevNdcg10: null,
        ...result,
        modelLatency: summarize(timed.map((c) => c.modelMs)),
        truncatedShare: passages > 0 ? timed.reduce((s, c) => s + c.truncated, 0) / passages : 0,
        progressive: stages,
      };
    },
  };
}
