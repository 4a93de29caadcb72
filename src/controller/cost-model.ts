/**
 * The latency cost model: a request's time is linear in a few work counts that follow from
 * its shape and the configuration, replaying exactly what the engine does (length-bucketed
 * batches padded to their longest row, compression shrinking the rows a layer sees):
 *
 *   ms = perCall                       fixed cost of a call (messages, scheduling, sorting)
 *      + perStep     · steps           onnxruntime session runs (embeddings, layers, compress)
 *      + perToken    · tokens          input tokens (tokenizer and embeddings)
 *      + perLayerToken   · Σ_l Σ_b B·T_l     token-layers actually computed (projections, FFN)
 *      + perLayerTokenSq · Σ_l Σ_b B·T_l²    attention's growth with sequence length
 *
 * where `T_l` is the padded length batch `b` has at layer `l` after the compressions before it.
 * The layers and their compressions are the configuration's plan (src/plan.ts), the steps the
 * engine runs.
 */
import { lengthBuckets } from '../batching';
import { plan } from '../plan';
import type { RerankConfig } from '../types';
import { type RequestShape, rowLength } from './request-shape';

/** Milliseconds per unit of each work count. All are >= 0. */
export interface CostCoefficients {
  perCall: number;
  perStep: number;
  perToken: number;
  perLayerToken: number;
  perLayerTokenSq: number;
}

/** Work counts of one request under one configuration (same keys as the coefficients). */
export type WorkCounts = CostCoefficients;

export const COST_TERMS = ['perCall', 'perStep', 'perToken', 'perLayerToken', 'perLayerTokenSq'] as const satisfies readonly (keyof CostCoefficients)[];

/**
 * A deliberately rough prior (a mid-range laptop on WASM running MiniLM-L6), used only before
 * calibration; the controller marks its decisions as uncalibrated then.
 */
export const priorCoefficients: CostCoefficients = {
  perCall: 3,
  perStep: 0.3,
  perToken: 0.002,
  perLayerToken: 0.03,
  perLayerTokenSq: 0.00005,
};

/**
 * The WebGPU prior: a per-step dispatch cost dominates small requests and token work is cheap.
 * Rough like the WASM one; one timed probe rescales it (`AdaptiveController.quickCalibrate`).
 */
export const webgpuPriorCoefficients: CostCoefficients = {
  perCall: 4,
  perStep: 1.5,
  perToken: 0.001,
  perLayerToken: 0.003,
  perLayerTokenSq: 0.00001,
};

/** Work counts of running `config` on a request of `shape`. */
export function workCounts(config: RerankConfig, shape: RequestShape): WorkCounts {
  const counts: WorkCounts = { perCall: 1, perStep: 0, perToken: 0, perLayerToken: 0, perLayerTokenSq: 0 };
  const { qLen, pLens } = shape;
  if (pLens.length === 0) return counts;
  const lengths = pLens.map((p) => rowLength(qLen, p));
  // The controller serves any bundle and is not told its layer count. The counts read only each
  // step's compression, which does not depend on it (the adapters do: they are not counted).
  const steps = plan(config, { architecture: { numLayers: config.depth } });
  for (const batch of lengthBuckets(lengths, shape.limits)) {
    const B = batch.length;
    let rowP = batch.map((i) => pLens[i]!);
    let T = Math.max(...batch.map((i) => lengths[i]!));
    counts.perStep += 1; // embeddings
    counts.perToken += B * T;
    for (const { compress } of steps) {
      if (compress) {
        rowP = rowP.map((p) => Math.ceil(p / compress.ratio));
        T = Math.max(...rowP.map((p) => rowLength(qLen, p)));
        counts.perStep += 1; // compress.onnx
      }
      counts.perStep += 1;
      counts.perLayerToken += B * T;
      counts.perLayerTokenSq += B * T * T;
    }
  }
  return counts;
}

/** Dot product of coefficients and counts: the predicted milliseconds. */
export function predictMs(coefficients: CostCoefficients, counts: WorkCounts): number {
  let ms = 0;
  for (const k of COST_TERMS) ms += coefficients[k] * counts[k];
  return ms;
}

/** Counts as a vector in `COST_TERMS` order (for fitting). */
export function countsVector(counts: WorkCounts): number[] {
  return COST_TERMS.map((k) => counts[k]);
}

/** Coefficients from a vector in `COST_TERMS` order. */
export function coefficientsFromVector(v: readonly number[]): CostCoefficients {
  const out = { ...priorCoefficients };
  COST_TERMS.forEach((k, i) => { out[k] = v[i] ?? 0; });
  return out;
}
