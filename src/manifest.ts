/**
 * `manifest.json` of a bundle (docs/bundle-format.md, format version 1): its type and a
 * validator that names the offending field.
 */
import { resolveConfig } from './config';
import { BundleError, ConfigError } from './errors';
import type { FileEntry } from './integrity';
import type { CalibratedConfig, CompressionMode } from './types';

export const ADAPTER_TARGETS = ['q', 'k', 'v', 'o', 'ffn_in', 'ffn_out'] as const;
export type AdapterTarget = (typeof ADAPTER_TARGETS)[number];

export interface Manifest {
  format: 'matryoshka-reranker';
  formatVersion: 1;
  name: string;
  base?: string;
  architecture: {
    type: string; hiddenSize: number; numLayers: number; numHeads: number;
    intermediateSize: number; vocabSize: number; maxPositions: number;
  };
  input: {
    maxQueryTokens: number; maxPassageTokens: number;
    clsTokenId: number; sepTokenId: number; padTokenId: number;
    tokenizer: string; tokenizerConfig: string;
  };
  exits: number[];
  compression: { ratios: number[]; modes: CompressionMode[]; minLayer: number };
  graphs: {
    embeddings: string;
    /** Per layer: the graph with LoRA inputs. */
    layers: string[];
    /** Per layer: its LoRA-free twin, run where a configuration adds no adapter (optional). */
    plainLayers?: string[];
    /** Per layer: the external-data file holding that layer's weights, shared by both graphs (optional). */
    layerWeights?: string[];
    compress: string;
    /**
     * int8 bundles only (optional): per layer, the twins of `layers` and `plainLayers` that
     * compute every weight product in float from the same int8 weights (same `layerWeights`
     * file), what WebGPU runs (src/layer-graphs.ts). `plainLayers` exactly when the bundle has plain twins.
     */
    dequantized?: { layers: string[]; plainLayers?: string[] };
    /**
     * int8 bundles only (optional): per layer, where its six int8 matrices, their per-column
     * scales and ffn_out's row-shift bias lie in its `layerWeights` file. With it (and plain
     * twins) WASM merges a configuration's adapters into the int8 weights (src/int8-merge.ts).
     */
    int8Matrices?: Int8MatrixLayout[];
  };
  adapters: {
    file: string; dtype: string; rank: number;
    targets: Record<AdapterTarget, [number, number]>;
    names: string[];
  };
  configurations: CalibratedConfig[];
  flopsReference?: { qLen: number; pLen: number };
  /** Hybrid scoring default (src/fusion.ts): the first stage's weight, chosen by the trainer. */
  fusion?: { weight: number; normalization: 'z' };
  /** Golden inputs and scores (golden.json); the runtime runs a few rows as a canary at load. */
  golden: string;
  /** Size and SHA-256 of every file the runtime reads (src/integrity.ts). */
  files: Record<string, FileEntry>;
  hf?: string;
  training?: unknown;
  /**
   * How the layer graphs store and compute their matmul weights: `float16` (default: float
   * compute on every backend) or `int8` (onnxruntime integer kernels, WASM only; golden.json
   * then holds `scoresByPrecision.int8` and `precisions.int8.tolerance`).
   */
  precision?: BundlePrecision;
}

/** Where one layer's int8 matrices lie in its weights file: [byte offset, byte length] spans. */
export interface Int8MatrixLayout {
  /** The constant ffn_out's per-row activation rounding shifts by (trainer/mrr/int8.py ROW_SHIFT). */
  rowShift: number;
  matrices: Record<AdapterTarget, {
    /** [in, out] */
    shape: [number, number];
    /** int8 [in, out], row-major. */
    weight: [number, number];
    /** float32 [out], little-endian. */
    scale: [number, number];
    /** float32 [out]: -rowShift * column sums of weight * scale (ffn_out only). */
    rowBias?: [number, number];
  }>;
}

export const BUNDLE_PRECISIONS = ['float16', 'int8'] as const;
export type BundlePrecision = (typeof BUNDLE_PRECISIONS)[number];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a parsed manifest; `file` names it in errors. Returns the typed manifest. */
export function parseManifest(json: unknown, file = 'manifest.json'): Manifest {
  const bad = (path: string, want: string): never => {
    throw new BundleError(
      `MatryoshkaReranker: ${file}: field "${path}" must be ${want} (docs/bundle-format.md); re-export the bundle with the trainer`);
  };
  if (!isObj(json)) return bad('<root>', 'an object');
  const obj = (o: Obj, key: string, path: string): Obj => (isObj(o[key]) ? (o[key] as Obj) : bad(path, 'an object'));
  const int = (o: Obj, key: string, path: string, min = 0): number => {
    const v = o[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : bad(path, `an integer >= ${min}`);
  };
  const str = (o: Obj, key: string, path: string): string =>
    typeof o[key] === 'string' && (o[key] as string).length > 0 ? (o[key] as string) : bad(path, 'a non-empty string');
  const ints = (o: Obj, key: string, path: string, min = 0): number[] => {
    const v = o[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min)) {
      return bad(path, `an array of integers >= ${min}`);
    }
    return v as number[];
  };
  const strs = (o: Obj, key: string, path: string): string[] => {
    const v = o[key];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return bad(path, 'an array of strings');
    return v as string[];
  };

  if (json.format !== 'matryoshka-reranker') bad('format', '"matryoshka-reranker"');
  if (json.formatVersion !== 1) {
    throw new BundleError(`MatryoshkaReranker: ${file}: formatVersion ${String(json.formatVersion)} is not supported; this runtime reads version 1 (upgrade the runtime or re-export the bundle)`);
  }
  const arch = obj(json, 'architecture', 'architecture');
  const numLayers = int(arch, 'numLayers', 'architecture.numLayers', 1);
  int(arch, 'hiddenSize', 'architecture.hiddenSize', 1);
  for (const k of ['numHeads', 'intermediateSize', 'vocabSize', 'maxPositions']) int(arch, k, `architecture.${k}`, 1);
  const input = obj(json, 'input', 'input');
  for (const k of ['maxQueryTokens', 'maxPassageTokens']) int(input, k, `input.${k}`, 1);
  for (const k of ['clsTokenId', 'sepTokenId', 'padTokenId']) int(input, k, `input.${k}`);
  str(input, 'tokenizer', 'input.tokenizer');
  str(input, 'tokenizerConfig', 'input.tokenizerConfig');
  const maxPos = arch.maxPositions as number;
  if ((input.maxQueryTokens as number) + (input.maxPassageTokens as number) + 3 > maxPos) {
    bad('input.maxQueryTokens + input.maxPassageTokens + 3', `<= architecture.maxPositions (${maxPos})`);
  }
  const exits = ints(json, 'exits', 'exits', 1);
  if (exits.length === 0 || exits.some((e) => e > numLayers)) bad('exits', `a non-empty array of layers in [1, ${numLayers}]`);
  if (!exits.includes(numLayers)) bad('exits', `an array that contains the last layer (${numLayers})`);
  const comp = obj(json, 'compression', 'compression');
  const ratios = ints(comp, 'ratios', 'compression.ratios', 1);
  const modes = strs(comp, 'modes', 'compression.modes');
  if (modes.some((m) => m !== 'attention' && m !== 'mean')) bad('compression.modes', 'a subset of ["attention", "mean"]');
  int(comp, 'minLayer', 'compression.minLayer', 2);
  const graphs = obj(json, 'graphs', 'graphs');
  str(graphs, 'embeddings', 'graphs.embeddings');
  str(graphs, 'compress', 'graphs.compress');
  const layers = strs(graphs, 'layers', 'graphs.layers');
  if (layers.length !== numLayers) bad('graphs.layers', `an array of ${numLayers} file names (architecture.numLayers)`);
  for (const k of ['plainLayers', 'layerWeights']) {
    if (graphs[k] !== undefined && strs(graphs, k, `graphs.${k}`).length !== numLayers) bad(`graphs.${k}`, `an array of ${numLayers} file names (architecture.numLayers)`);
  }
  if (json.precision !== undefined && !BUNDLE_PRECISIONS.includes(json.precision as BundlePrecision)) {
    bad('precision', BUNDLE_PRECISIONS.map((x) => `"${x}"`).join(' or '));
  }
  if (graphs.dequantized !== undefined) {
    if (json.precision !== 'int8') bad('graphs.dequantized', 'absent unless "precision" is "int8" (it holds the float twins of int8 layer graphs)');
    const dq = obj(graphs, 'dequantized', 'graphs.dequantized');
    if (strs(dq, 'layers', 'graphs.dequantized.layers').length !== numLayers) bad('graphs.dequantized.layers', `an array of ${numLayers} file names (architecture.numLayers)`);
    if (graphs.plainLayers === undefined) {
      if (dq.plainLayers !== undefined) bad('graphs.dequantized.plainLayers', 'absent (graphs.plainLayers is absent)');
    } else if (dq.plainLayers === undefined || strs(dq, 'plainLayers', 'graphs.dequantized.plainLayers').length !== numLayers) {
      bad('graphs.dequantized.plainLayers', `an array of ${numLayers} file names (graphs.plainLayers has them)`);
    }
  }
  if (graphs.int8Matrices !== undefined) {
    if (graphs.layerWeights === undefined || graphs.plainLayers === undefined) bad('graphs.int8Matrices', 'absent unless graphs.layerWeights and graphs.plainLayers are present');
    checkInt8Matrices(graphs.int8Matrices, json, numLayers, bad);
  }
  const ad = obj(json, 'adapters', 'adapters');
  str(ad, 'file', 'adapters.file');
  int(ad, 'rank', 'adapters.rank', 1);
  const names = strs(ad, 'names', 'adapters.names');
  const targets = obj(ad, 'targets', 'adapters.targets');
  for (const t of ADAPTER_TARGETS) {
    const v = targets[t];
    if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) {
      bad(`adapters.targets.${t}`, 'an [in, out] pair of positive integers');
    }
  }
  for (const r of ratios) if (r > 1 && !names.includes(`h${r}`)) bad('adapters.names', `a list that contains "h${r}" (compression.ratios has ${r})`);
  if (exits.some((e) => e < numLayers) && !names.includes('vertical')) bad('adapters.names', 'a list that contains "vertical" (there are exits below the last layer)');
  const confs = json.configurations;
  if (!Array.isArray(confs)) bad('configurations', 'an array');
  (confs as unknown[]).forEach((c, i) => {
    if (!isObj(c)) bad(`configurations[${i}]`, 'an object');
    str(c as Obj, 'name', `configurations[${i}].name`);
    int(c as Obj, 'depth', `configurations[${i}].depth`, 1);
  });
  const m = json as unknown as Manifest;
  // Consistency: every calibrated configuration must be runnable with these layers and exits.
  const seen = new Set<string>();
  m.configurations.forEach((c, i) => {
    if (seen.has(c.name)) bad(`configurations[${i}].name`, `unique (${JSON.stringify(c.name)} appears twice)`);
    seen.add(c.name);
    try {
      resolveConfig({ depth: c.depth, compress: c.compress ?? null }, m);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      bad(`configurations[${i}]`, `a configuration of this bundle (${JSON.stringify(c.name)}: ${e.message.replace(/^MatryoshkaReranker: /, '')})`);
    }
  });
  str(json, 'golden', 'golden');
  const files = obj(json, 'files', 'files');
  for (const [name, e] of Object.entries(files)) {
    if (!isObj(e) || typeof e.bytes !== 'number' || !Number.isInteger(e.bytes) || e.bytes < 0 ||
        typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      bad(`files[${JSON.stringify(name)}]`, '{ bytes: integer >= 0, sha256: 64 lower-case hex digits }');
    }
  }
  const unlisted = bundleFiles(m).filter((f) => !(f in files));
  if (unlisted.length) bad('files', `an entry (bytes, sha256) for every file the runtime reads; missing: ${unlisted.join(', ')}`);
  if (json.fusion !== undefined) {
    const f = obj(json, 'fusion', 'fusion');
    if (typeof f.weight !== 'number' || !Number.isFinite(f.weight) || f.weight < 0) bad('fusion.weight', 'a finite number >= 0');
    if (f.normalization !== 'z') bad('fusion.normalization', '"z"');
  }
  return json as unknown as Manifest;
}

/** `graphs.int8Matrices`: one layout per layer, spans and shapes consistent with the adapter targets. */
function checkInt8Matrices(v: unknown, json: Obj, numLayers: number, bad: (path: string, want: string) => never): void {
  const where = 'graphs.int8Matrices';
  if (json.precision !== 'int8') bad(where, 'absent unless "precision" is "int8"');
  if (!Array.isArray(v) || v.length !== numLayers) bad(where, `an array of ${numLayers} layouts (architecture.numLayers)`);
  const targets = isObj(json.adapters) && isObj(json.adapters.targets) ? json.adapters.targets : {};
  const span = (x: unknown) => Array.isArray(x) && x.length === 2 && x.every((n) => Number.isInteger(n) && n >= 0);
  (v as unknown[]).forEach((l, i) => {
    const at = `${where}[${i}]`;
    if (!isObj(l) || typeof l.rowShift !== 'number' || !Number.isFinite(l.rowShift) || !isObj(l.matrices)) bad(at, '{ rowShift: number, matrices: {...} }');
    const ms = (l as Obj).matrices as Obj;
    for (const t of ADAPTER_TARGETS) {
      const m = ms[t];
      const shape = isObj(m) ? m.shape : undefined;
      if (!isObj(m) || !Array.isArray(shape) || shape.length !== 2 || !span(m.weight) || !span(m.scale) || (m.rowBias !== undefined && !span(m.rowBias))) {
        bad(`${at}.matrices.${t}`, '{ shape: [in, out], weight, scale[, rowBias]: [offset, bytes] }');
      }
      const [rows, cols] = shape as number[];
      const want = targets[t];
      if (Array.isArray(want) && (want[0] !== rows || want[1] !== cols)) bad(`${at}.matrices.${t}.shape`, `[${String(want)}] (adapters.targets.${t})`);
      const bytes = (s: unknown) => (s as number[])[1];
      if (bytes(m.weight) !== rows! * cols! || bytes(m.scale) !== 4 * cols! || (m.rowBias !== undefined && bytes(m.rowBias) !== 4 * cols!)) {
        bad(`${at}.matrices.${t}`, `spans of ${rows! * cols!} weight bytes and ${4 * cols!} scale (and row bias) bytes`);
      }
    }
  });
}

/**
 * Every file of the bundle the runtime reads, in load order: what every configuration needs
 * first (tokenizer, embeddings, compression, adapters, golden.json), then layer by layer (its weights, its
 * graph, its LoRA-free twin, their dequantized twins), so the shallow exits can rank before the deep layers arrive;
 * golden.json (the load-time canary, small) comes before the layers.
 */
export function bundleFiles(m: Manifest): string[] {
  const g = m.graphs;
  const dq = g.dequantized;
  const perLayer = g.layers.flatMap((layer, i) =>
    [g.layerWeights?.[i], layer, g.plainLayers?.[i], dq?.layers[i], dq?.plainLayers?.[i]].filter((f): f is string => !!f));
  return [m.input.tokenizer, m.input.tokenizerConfig, g.embeddings, g.compress, m.adapters.file, m.golden, ...perLayer];
}
