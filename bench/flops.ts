/**
 * FLOPs of a configuration on the rows it actually ran, relative to the full model on the same
 * rows: the trainer's `relative_flops` (trainer/mrr/model.py) summed over every (query, passage)
 * pair of a call, each at its own length after truncation. The manifest's `flopsRatio` is the
 * same count at one reference length (`flopsReference`, 16 query and 192 passage tokens); on a
 * collection whose queries are longer, compression saves less (query tokens are kept), and this
 * ratio says by how much. Multiply-adds of the linears, attention, merges and the exit head;
 * LoRA products and padding are not counted (as in the trainer).
 */
import { plan, type LayerStep } from '../src/plan';
import type { RankShape, RerankConfig } from '../src/types';

/** The model dimensions the count needs (the manifest's `architecture`). */
export interface FlopsModel {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
}

/** Multiply-adds of one layer on t tokens computing `rows` outputs (keys and values of all t). */
function layerFlops(t: number, m: FlopsModel, rows: number = t): number {
  const h = m.hiddenSize;
  return t * 2 * h * h + rows * (2 * h * h + 2 * h * m.intermediateSize) + 2 * rows * t * h;
}

/** Multiply-adds of one (qLen, pLen) pair run through `steps` (a plan, three special tokens per row). */
function planFlops(steps: readonly LayerStep[], m: FlopsModel, qLen: number, pLen: number): number {
  let p = pLen;
  let total = 0;
  steps.forEach((step, i) => {
    if (step.compress) {
      const merged = Math.ceil(p / step.compress.ratio);
      total += (qLen + 3 + p) * (qLen + 3 + merged) * m.hiddenSize;
      p = merged;
    }
    total += layerFlops(qLen + 3 + p, m, i === steps.length - 1 ? 1 : undefined);
  });
  return total + m.hiddenSize * m.hiddenSize; // exit head
}

const planOf = (config: RerankConfig, m: FlopsModel): LayerStep[] => plan(config, { architecture: { numLayers: m.numLayers } });

/** Multiply-adds of one (qLen, pLen) pair under `config`. */
export function pairFlops(config: RerankConfig, m: FlopsModel, qLen: number, pLen: number): number {
  return planFlops(planOf(config, m), m, qLen, pLen);
}

/** FLOPs of `config` over the calls' rows, relative to the full model (depth numLayers, no compression). */
export function dataFlopsRatio(config: RerankConfig, m: FlopsModel, shapes: readonly RankShape[]): number {
  const steps = planOf(config, m);
  const full = planOf({ depth: m.numLayers }, m);
  let num = 0;
  let den = 0;
  for (const s of shapes) {
    for (const len of s.lengths) {
      const pLen = len - s.qLen - 3;
      num += planFlops(steps, m, s.qLen, pLen);
      den += planFlops(full, m, s.qLen, pLen);
    }
  }
  return den > 0 ? num / den : Number.NaN;
}
