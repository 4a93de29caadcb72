/**
 * The execution plan of a configuration: what happens at each layer it runs. One `LayerStep`
 * per layer, 1..depth: whether the layer's input is compressed first (ratio, mode), which
 * adapters are on in it, and whether the exit head scores its output (the last step).
 *
 * This is the one place the per-layer rules of docs/bundle-format.md ("Configurations") live.
 * The forward pass runs a plan, progressive re-ranking compares plans to decide which stages
 * resume, the controller's cost model counts a plan's work, and the trainer's
 * `SubArch.plan` (trainer/mrr/model.py) writes the same steps into golden.json, where the
 * tests check that both sides agree.
 */
import type { Manifest } from './manifest';
import type { CompressionMode, RerankConfig } from './types';

/** One layer of a plan (a plain JSON object: golden.json stores plans as they are). */
export interface LayerStep {
  /** The layer, 1-based. */
  layer: number;
  /** How this layer's input is merged before the layer runs, or null. */
  compress: { ratio: number; mode: CompressionMode } | null;
  /**
   * Adapters on in this layer, in concatenation order: `vertical` in every layer of a
   * configuration that exits below the last layer, `h<r>` from the first compressed layer on.
   * Empty: the layer runs without LoRA (its plain twin where the bundle has one).
   */
  adapters: string[];
  /** True on the last step: the exit head scores this layer's output. */
  exits: boolean;
}

/** What a plan needs to know of the model: its layer count. A `Manifest` is one. */
export interface PlanModel {
  architecture: Pick<Manifest['architecture'], 'numLayers'>;
}

/**
 * The steps of `config` on `model`, layer 1 to `config.depth`. `config` should be valid for
 * the bundle (`resolveConfig` checks it; plan only reads it): compression with ratio 1 or no
 * layers is no compression, and a missing mode is `attention`.
 */
export function plan(config: RerankConfig, model: PlanModel): LayerStep[] {
  const c = config.compress && config.compress.ratio > 1 && config.compress.layers.length > 0 ? config.compress : null;
  const compress = c ? { ratio: c.ratio, mode: c.mode ?? 'attention' } : null;
  const firstCompressed = c ? Math.min(...c.layers) : Infinity;
  const vertical = config.depth < model.architecture.numLayers;
  const steps: LayerStep[] = [];
  for (let layer = 1; layer <= config.depth; layer++) {
    const adapters = vertical ? ['vertical'] : [];
    if (compress && layer >= firstCompressed) adapters.push(`h${compress.ratio}`);
    steps.push({
      layer,
      compress: compress && c!.layers.includes(layer) ? { ...compress } : null,
      adapters,
      exits: layer === config.depth,
    });
  }
  return steps;
}

/** True when two plans run their first `layers` layers alike (exits aside): hidden states carry over. */
export function sharePrefix(a: readonly LayerStep[], b: readonly LayerStep[], layers: number): boolean {
  if (a.length < layers || b.length < layers) return false;
  for (let i = 0; i < layers; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.compress?.ratio !== y.compress?.ratio || x.compress?.mode !== y.compress?.mode ||
        x.adapters.join('+') !== y.adapters.join('+')) return false;
  }
  return true;
}
