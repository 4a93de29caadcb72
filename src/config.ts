/**
 * Configurations (`{depth, compress?}` or a manifest configuration name): validation against
 * the manifest, normalization and names. What a configuration does at each layer is its plan
 * (src/plan.ts).
 */
import { ConfigError, showValue } from './errors';
import type { Manifest } from './manifest';
import type { CompressionMode, RerankConfig } from './types';

/** A validated configuration. `compress` is null when nothing is merged (also for ratio 1). */
export interface ResolvedConfig {
  depth: number;
  compress: { layers: number[]; ratio: number; mode: CompressionMode } | null;
}

const list = (xs: readonly (number | string)[]) => xs.map((x) => showValue(x)).join(', ');

/** Validate `input` against the manifest. `undefined` means the full model (depth = numLayers). */
export function resolveConfig(input: RerankConfig | string | undefined | null, manifest: Manifest): ResolvedConfig {
  const numLayers = manifest.architecture.numLayers;
  if (input === undefined || input === null) return { depth: numLayers, compress: null };
  if (typeof input === 'string') {
    const found = manifest.configurations.find((c) => c.name === input);
    if (!found) {
      throw new ConfigError(`MatryoshkaReranker: unknown configuration "${input}"; valid names: ${list(manifest.configurations.map((c) => c.name))} (or pass {depth, compress})`);
    }
    return resolveConfig({ depth: found.depth, compress: found.compress ?? null }, manifest);
  }
  if (typeof input !== 'object') {
    throw new ConfigError(`MatryoshkaReranker: option "config" must be a configuration name or {depth, compress?}, got ${typeof input}`);
  }
  const { depth } = input;
  if (typeof depth !== 'number' || !manifest.exits.includes(depth)) {
    throw new ConfigError(`MatryoshkaReranker: config.depth ${showValue(depth)} is not an exit layer; valid depths: ${list(manifest.exits)}`);
  }
  const c = input.compress;
  if (c === undefined || c === null) return { depth, compress: null };
  if (typeof c !== 'object') throw new ConfigError('MatryoshkaReranker: config.compress must be null or {layers, ratio, mode?}');
  const ratios = manifest.compression.ratios;
  if (typeof c.ratio !== 'number' || !ratios.includes(c.ratio)) {
    throw new ConfigError(`MatryoshkaReranker: config.compress.ratio ${showValue(c.ratio)} is not supported; valid ratios: ${list(ratios)}`);
  }
  const mode = c.mode ?? 'attention';
  if (!manifest.compression.modes.includes(mode)) {
    throw new ConfigError(`MatryoshkaReranker: config.compress.mode ${showValue(mode)} is not supported; valid modes: ${list(manifest.compression.modes)}`);
  }
  const minLayer = Math.max(2, manifest.compression.minLayer);
  const valid: number[] = [];
  for (let l = minLayer; l <= depth; l++) valid.push(l);
  if (!Array.isArray(c.layers) || c.layers.length === 0 || c.layers.some((l) => !valid.includes(l))) {
    throw new ConfigError(`MatryoshkaReranker: config.compress.layers ${showValue(c.layers)} must be a non-empty list of layers from ${valid.length ? list(valid) : '(none: depth too small to compress)'} (layers whose input is compressed, at most depth ${depth})`);
  }
  const layers = [...new Set(c.layers)].sort((a, b) => a - b);
  if (c.ratio === 1) return { depth, compress: null };
  return { depth, compress: { layers, ratio: c.ratio, mode } };
}

/** Canonical name, same scheme as the trainer (`d4`, `d4-c2-r4`, `d6-c2-4-r2-mean`). */
export function configName(cfg: ResolvedConfig): string {
  if (!cfg.compress) return `d${cfg.depth}`;
  const m = cfg.compress.mode === 'attention' ? '' : '-mean';
  return `d${cfg.depth}-c${cfg.compress.layers.join('-')}-r${cfg.compress.ratio}${m}`;
}

/** The public shape of a resolved configuration. */
export function toRerankConfig(cfg: ResolvedConfig): RerankConfig {
  return cfg.compress ? { depth: cfg.depth, compress: { ...cfg.compress, layers: [...cfg.compress.layers] } } : { depth: cfg.depth, compress: null };
}

/**
 * The configuration a direct call at `depth` would use for the layers of a progressive run
 * with compression `compress`: compression layers beyond `depth` are dropped.
 */
export function atDepth(cfg: ResolvedConfig, depth: number): ResolvedConfig {
  if (!cfg.compress) return { depth, compress: null };
  const layers = cfg.compress.layers.filter((l) => l <= depth);
  return { depth, compress: layers.length ? { ...cfg.compress, layers } : null };
}
