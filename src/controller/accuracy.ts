/**
 * How good a configuration is, for choosing among those that fit a budget: the manifest's
 * calibrated dev nDCG@10 (`dev.ndcg10`), or, when the bundle has none (the tiny test fixture,
 * an uncalibrated export), its `flopsRatio` as a stand-in (more compute, more accuracy).
 */
import type { CalibratedConfig } from '../types';

export interface AccuracyScale {
  /** What the numbers mean, for reports and the demo's axis. */
  label: string;
  /** True when the numbers are measured dev nDCG@10. */
  measured: boolean;
  of(config: CalibratedConfig): number;
}

/**
 * The scale for a set of configurations: dev nDCG@10 when every one has it, else flopsRatio,
 * where a compressed configuration ranks just below the uncompressed one of its depth (merging
 * before a plan's last layer, which computes the pooling row only, can cost more than it saves
 * on a small model: its flopsRatio says nothing of accuracy then).
 */
export function accuracyScale(configurations: readonly CalibratedConfig[]): AccuracyScale {
  const measured = configurations.length > 0 && configurations.every((c) => typeof c.dev?.ndcg10 === 'number');
  if (measured) return { label: 'dev nDCG@10', measured, of: (c) => c.dev?.ndcg10 ?? 0 };
  const plain = new Map(configurations.filter((c) => !c.compress).map((c) => [c.depth, c.flopsRatio]));
  const of = (c: CalibratedConfig): number => {
    const cap = c.compress ? plain.get(c.depth) : undefined;
    return cap === undefined ? c.flopsRatio : Math.min(c.flopsRatio, cap * (1 - 1e-6));
  };
  return { label: 'flopsRatio (no dev nDCG@10 in the manifest)', measured, of };
}

/**
 * Indices of the Pareto front of points (cost lower is better, accuracy higher is better):
 * no other point is at most as costly and strictly more accurate, or cheaper and as accurate.
 * Returned by increasing cost.
 */
export function paretoFront(points: readonly { cost: number; accuracy: number }[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.cost - points[b]!.cost || points[b]!.accuracy - points[a]!.accuracy);
  const front: number[] = [];
  let best = -Infinity;
  for (const i of order) {
    if (points[i]!.accuracy > best) {
      front.push(i);
      best = points[i]!.accuracy;
    }
  }
  return front;
}
