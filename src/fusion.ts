/**
 * Hybrid scoring: the re-ranker's scores fused with the first stage's (e.g. BM25) over one
 * call's passages. Both lists are z-normalised and summed, the first stage weighted:
 *
 *     fused = z(model) + weight * z(firstStage)
 *
 * The trainer evaluates exactly this rule (trainer/mrr/fusion.py); the bundle's manifest may
 * carry the default weight (`fusion.weight`, docs/bundle-format.md).
 */
import { InputError, OptionsError, showValue } from './errors';

/** A list of equal scores (or a single passage) normalises to zeros. */
export const STD_FLOOR = 1e-6;

/** Weight used when neither the call nor the bundle gives one. */
export const DEFAULT_FUSION_WEIGHT = 1;

export function zscore(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  const std = Math.max(Math.sqrt(v / n), STD_FLOOR);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) / std;
  return out;
}

/** Throws an InputError unless there is one first-stage score per passage. */
export function checkFirstStageLength(firstStage: ArrayLike<number>, passages: number): void {
  if (firstStage.length !== passages) {
    throw new InputError(`MatryoshkaReranker: got ${firstStage.length} firstStageScores for ${passages} passages; pass one score per passage, in the same order`);
  }
}

export function fuseScores(model: ArrayLike<number>, firstStage: ArrayLike<number>, weight: number): Float64Array {
  checkFirstStageLength(firstStage, model.length);
  const zm = zscore(model);
  const zf = zscore(firstStage);
  return zm.map((m, i) => m + weight * zf[i]!);
}

/** Validate the per-call fusion options (the passage count is checked in `fuseScores`). */
export function checkFusionOptions(firstStageScores: unknown, fusionWeight: unknown): void {
  if (firstStageScores !== undefined) {
    if (!Array.isArray(firstStageScores) || firstStageScores.some((s) => typeof s !== 'number' || !Number.isFinite(s))) {
      throw new OptionsError('MatryoshkaReranker: option "firstStageScores" must be an array of finite numbers, one per passage (e.g. the BM25 scores of the candidates)');
    }
  }
  if (fusionWeight !== undefined) {
    if (typeof fusionWeight !== 'number' || !Number.isFinite(fusionWeight) || fusionWeight < 0) {
      throw new OptionsError(`MatryoshkaReranker: option "fusionWeight" must be a finite number >= 0, got ${showValue(fusionWeight)}`);
    }
    if (firstStageScores === undefined) {
      throw new OptionsError('MatryoshkaReranker: option "fusionWeight" needs option "firstStageScores" (the scores to fuse with)');
    }
  }
}
