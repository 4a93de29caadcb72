/**
 * Public types shared by the in-thread engine, the worker proxy, the benchmarks and the demo.
 * Types only: no runtime code lives here.
 */
import type { StorageFullError } from './errors';

/** Where the model runs. `auto` tries WebGPU and falls back to WASM. */
export type Backend = 'auto' | 'webgpu' | 'wasm';
/** The backend actually in use after resolution. */
export type ResolvedBackend = 'webgpu' | 'wasm';

export type CompressionMode = 'attention' | 'mean';

/** Passage-token compression: the inputs of `layers` (1-based) are merged in windows of `ratio`. */
export interface CompressSpec {
  layers: number[];
  ratio: number;
  /** Merge weights: the [CLS] attention of the previous layer (default) or a plain mean. */
  mode?: CompressionMode;
}

/** One sub-architecture: the exit layer and optional compression. */
export interface RerankConfig {
  depth: number;
  compress?: CompressSpec | null;
}

/** A row of the manifest's calibration table (docs/bundle-format.md). */
export interface CalibratedConfig extends RerankConfig {
  name: string;
  flopsRatio: number;
  dev?: { dataset: string; queries: number; candidates: number; ndcg10: number };
}

/**
 * Loading phases: `download` (bundle files arriving), `compile` (onnxruntime sessions being
 * created; overlaps the download of later layers), `ready` (every layer usable). A reranker
 * can rank before `ready`: with the layers that have arrived (see `LoadProgress.layersReady`).
 */
export type LoadPhase = 'download' | 'compile' | 'ready';

export interface LoadProgress {
  phase: LoadPhase;
  /** File being fetched or compiled, e.g. `layer_03.onnx`. */
  file: string;
  /** Bytes of `file` so far, and its size. */
  loadedBytes: number;
  totalBytes: number;
  /** Bytes of the whole bundle so far (from the network or the cache), and its size. */
  bundleLoadedBytes: number;
  bundleTotalBytes: number;
  /** 0..1 over the whole bundle, by bytes. */
  fraction: number;
  fromCache: boolean;
  /** Layers whose sessions exist (ranking can use exits up to this depth). */
  layersReady: number;
  numLayers: number;
  /** The backend in use and why (known before the first byte; see `BackendInfo`). */
  backend: ResolvedBackend;
  backendReason: string;
}

/**
 * A bundle whose files do not share one folder URL, e.g. files a bundler emitted with hashed
 * names: the URL of each file by its name in manifest.json. The model package
 * (`@matryoshka-reranker/minilm-l6-scifact`) exports one built with `new URL(file, import.meta.url)`.
 */
export interface ModelFiles {
  /**
   * The model's identity for messages and for the cache (its cached files are replaced when a
   * new version of the same name loads). Default: the URL of `manifest.json`.
   */
  name?: string;
  /** URL (or, in Node, path) of each bundle file by its name; `manifest.json` must be one of them. */
  files: Record<string, string>;
}

/** Where a bundle is: its folder (URL, or a path in Node) or a map of its files. */
export type ModelSource = string | ModelFiles;

export interface RerankerOptions {
  /** Bundle folder (a URL, or a local path in Node) or a `ModelFiles` map. Required. */
  model?: ModelSource;
  /** Default `auto`. */
  backend?: Backend;
  /**
   * Most rows per batch (after length bucketing). Default 32: with `maxBatchTokens` (8192) the
   * token limit, not the row limit, usually cuts full-length batches; compressed layers then run
   * one larger product instead of two small ones (int8 products on WASM repack their weights on
   * every run, so small batches pay more per token).
   */
  batchSize?: number;
  /** WASM threads; default: `navigator.hardwareConcurrency` capped at 4 (1 without cross-origin isolation). */
  numThreads?: number;
  /**
   * Cache fetched bundle files with the Cache API (browser). Default true. See `isCached` and
   * `clearCache` to inspect and drop the cached copy.
   */
  cache?: boolean;
  /**
   * Before loading, ask the browser to keep this site's storage under pressure
   * (`navigator.storage.persist()`, on the main thread). Default false. Browsers may decline
   * without a user gesture; `requestPersistentStorage()` asks on demand and tells the answer.
   */
  persistStorage?: boolean;
  /**
   * Called when the loaded model could not be cached because storage is full
   * (`StorageFullError`, whose message says how to make room); loading itself succeeds.
   * Default: the message is printed with `console.warn`.
   */
  onCacheError?: (error: StorageFullError) => void;
  /** Called while the bundle loads. Not transferable to a worker by value: the proxy forwards it. */
  onProgress?: (p: LoadProgress) => void;
  /** Most padded tokens (rows x longest row) per batch; bounds memory per step. Default 8192. */
  maxBatchTokens?: number;
  /** Where onnxruntime-web finds its .wasm files (prefix URL); default: next to the ORT module. */
  wasmPaths?: string;
  /**
   * Progressive loading: `createReranker` resolves as soon as the layers of the shallowest exit
   * have arrived and compiled; deeper layers keep loading (`info().layersReady`, `onProgress`),
   * `budgetMs` calls choose among the depths already loaded, and a call asking for a deeper
   * configuration waits for its layers (or rejects with the loading error, e.g. a damaged
   * file). false: resolve only when every layer is ready (a damaged file rejects creation).
   * Default true.
   */
  progressiveLoad?: boolean;
  /**
   * Let `backend: "auto"` consider a software (fallback) WebGPU adapter such as SwiftShader,
   * which it otherwise skips as far slower than WASM; the canary and the timing probe then
   * decide as for a real GPU. For testing WebGPU paths on machines without a GPU. Default false.
   */
  allowSoftwareAdapter?: boolean;
  /**
   * Largest |WebGPU score - golden score| the WebGPU canary accepts (bundle golden.json rows,
   * checked before `auto` trusts WebGPU); beyond it `auto` falls back to WASM and says why.
   * Default 0.05 (fp16 kernels pass, broken drivers do not).
   */
  canaryTolerance?: number;
  /**
   * Strategy that serves `RankOptions.budgetMs` (the adaptive controller plugs in here).
   * Without it, `budgetMs` is rejected with an OptionsError.
   */
  chooseConfig?: ConfigChooser;
}

/**
 * The shape of one call as the engine ran it, after tokenization and truncation: what a cost
 * model needs (the adaptive controller's calibration reads it from `RankResult.shape`).
 */
export interface RankShape {
  /** Query tokens (`qLen`, no special tokens, the same in every row), so a cost model can tell passage tokens apart. */
  qLen: number;
  /** Row lengths in tokens (`qLen + pLen + 3`), one per passage in input order, after truncation. */
  lengths: number[];
  /** The engine's batching limits (rows are length-bucketed with them, src/batching.ts). */
  limits: { batchSize: number; maxBatchTokens: number };
}

/** What a `budgetMs` strategy is told about one call: its shape, the budget and the choices. */
export interface ConfigRequest extends RankShape {
  budgetMs: number;
  /** The configurations the loaded layers can run (all of the manifest's once loading is done). */
  configurations: CalibratedConfig[];
  backend: ResolvedBackend;
}

/** Picks a configuration for a latency budget (the adaptive controller implements this). */
export type ConfigChooser = (request: ConfigRequest) => ControllerDecision | Promise<ControllerDecision>;

export interface RankOptions {
  /** Configuration to score with; defaults to the full model. Ignored when `budgetMs` is set. */
  config?: RerankConfig | string;
  /** Latency budget: the adaptive controller picks the configuration. */
  budgetMs?: number;
  /** Return only the best `topK` (all are scored). */
  topK?: number;
  /**
   * First-stage scores (e.g. BM25), one per passage in the same order. When given, passages
   * are ranked by the hybrid score `z(model) + fusionWeight * z(firstStage)` over this call's
   * passages (src/fusion.ts; docs/runtime.md, "Hybrid scoring"), and each result keeps the
   * model's own score in `modelScore`.
   */
  firstStageScores?: number[];
  /** Weight of the first stage in the hybrid score. Default: the bundle's `fusion.weight`, else 1. */
  fusionWeight?: number;
  signal?: AbortSignal;
}

export interface RankedPassage {
  /** Index into the passages array given to `rank`. */
  index: number;
  score: number;
  /** True when the passage was cut to the model's maximum passage length. */
  truncated: boolean;
  /** The model's own score, when `score` is the hybrid score (`RankOptions.firstStageScores`). */
  modelScore?: number;
  /**
   * Exit layer that produced `score`. Always the configuration's depth for `rank`; in
   * `rankProgressive` passages dropped at an earlier stage keep that stage's depth (scores of
   * different depths are not comparable: ordering is by stage reached, then score).
   */
  depth?: number;
}

export interface ControllerDecision {
  config: CalibratedConfig;
  predictedMs: number;
  budgetMs: number;
  /** False when no configuration fits and the cheapest was used. */
  fits: boolean;
  warning?: string;
}

export interface RankResult {
  results: RankedPassage[];
  config: RerankConfig;
  backend: ResolvedBackend;
  timings: { tokenizeMs: number; modelMs: number; totalMs: number };
  /** What the call ran on: token counts per row and the batching limits (see `RankShape`). */
  shape: RankShape;
  decision?: ControllerDecision;
  /** The query was cut to the model's maximum query length. */
  queryTruncated?: boolean;
  /** Set when the ranking is the hybrid score: the first stage's weight in it. */
  fusionWeight?: number;
}

/** Progressive re-ranking: score all at `stages[0].depth`, keep `keep` best, go deeper, ... */
export interface ProgressiveStage {
  depth: number;
  /** How many of the best candidates continue to the next stage (ignored on the last). */
  keep?: number;
}

export interface ProgressiveOptions {
  stages: ProgressiveStage[];
  /** Return only the best `topK` of the final ranking (`stages[i].results` stay complete). */
  topK?: number;
  compress?: CompressSpec | null;
  signal?: AbortSignal;
  /** Called after each stage with the ranking so far. */
  onStage?: (stage: number, ranking: RankedPassage[]) => void;
}

export interface ProgressiveResult extends RankResult {
  /**
   * Rankings after each stage; the last equals `results`. `resumed` is true when the stage
   * continued from the previous stage's hidden states, false when it ran its rows from the
   * embeddings (the first stage, and a full-depth stage after shallower ones: see
   * docs/runtime.md, "Progressive re-ranking").
   */
  stages: { depth: number; scored: number; resumed: boolean; results: RankedPassage[] }[];
}

/** A WebGPU adapter as it describes itself. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, llvmpipe, WARP): reported so, or recognized by name. */
  isFallbackAdapter: boolean;
}

/** What `auto` measured before choosing (only when a WebGPU adapter was a candidate). */
export interface BackendMeasurement {
  /** The timing probe, e.g. "16 golden rows at d2". */
  probe?: string;
  /** Fastest probe run on each backend, milliseconds. */
  webgpuMs?: number;
  wasmMs?: number;
  /** WebGPU scores against the bundle's golden rows. */
  canary?: { passed: boolean; maxAbsDiff: number; tolerance: number; rows: number };
}

export interface BackendInfo {
  backend: ResolvedBackend;
  /** Why this backend (e.g. "navigator.gpu missing: WebGPU unavailable, using WASM"). */
  reason: string;
  /** The WebGPU adapter seen, if any (also when WASM was chosen over it). */
  adapter?: AdapterSummary;
  /** The canary and timing probe behind an `auto` choice between WebGPU and WASM. */
  measurement?: BackendMeasurement;
  /** WASM threads (on WASM). */
  threads?: number;
}

export interface ModelInfo {
  name: string;
  numLayers: number;
  /** Width of the hidden states and of the feed-forward layer (manifest `architecture`): with the token counts, a FLOPs count. */
  hiddenSize: number;
  intermediateSize: number;
  exits: number[];
  ratios: number[];
  configurations: CalibratedConfig[];
  maxQueryTokens: number;
  maxPassageTokens: number;
  /** Version of the bundle (hash of its manifest.json): keys saved calibrations. */
  version?: string;
  /** Storage of the layer weights (manifest `precision`): `float16`, or `int8` (integer kernels on WASM). */
  precision?: 'float16' | 'int8';
  /** Layers loaded so far (the bundle loads progressively; equals `numLayers` once ready). */
  layersReady?: number;
}

/**
 * Implemented by the in-thread engine and by the worker proxy, so the demo and the benchmarks
 * can swap them.
 */
export interface RerankerInterface {
  rank(query: string, passages: string[], options?: RankOptions): Promise<RankResult>;
  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult>;
  info(): Promise<ModelInfo & BackendInfo>;
  dispose(): Promise<void>;
}
