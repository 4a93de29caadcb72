/**
 * Progressive re-ranking as a report row: `rankProgressive(query, passages, { stages })` scores
 * every candidate at the first stage's exit, keeps the best `keep`, and goes deeper. The final
 * ranking (deepest stage first, then score: src/types.ts) is evaluated as is, and the row's
 * `flopsRatio` is what the stages actually spent, averaged over the timed queries.
 */
import type { CalibratedConfig, ProgressiveStage, RerankerInterface } from '../../src/types';
import { summarize } from '../latency';
import { progressiveFlopsRatio, scheduleName } from '../progressive-plan';
import type { ModelRow } from './matryoshka';
import type { PreparedSystem } from './scenario';

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
