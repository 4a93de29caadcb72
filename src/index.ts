/**
 * matryoshka-reranker: re-rank search results on device with a transformer whose depth and
 * compression are chosen per call. Named exports only.
 *
 *   const rr = await createWorkerReranker({ model: '/models/minilm-l6-scifact' });
 *   const { results } = await rr.rank(query, passages, { config: 'd4-c2-r4', topK: 10 });
 */
import { Engine } from './engine';
import { WorkerReranker, type WorkerRerankerOptions } from './worker-proxy';
import type { RerankerOptions } from './types';

/** Load a bundle and run the model in this thread (browser main thread, worker, or Node). */
export async function createReranker(options: RerankerOptions): Promise<Engine> {
  return Engine.create(options);
}

/**
 * Load a bundle in a dedicated Web Worker and return a proxy with the same interface.
 * Resolves once the model is loaded (load errors reject here).
 */
export async function createWorkerReranker(options: WorkerRerankerOptions): Promise<WorkerReranker> {
  const rr = new WorkerReranker(options);
  await rr.start();
  return rr;
}

export { Engine } from './engine';
export type { EngineHooks, LoadReport } from './engine';
export { WorkerReranker } from './worker-proxy';
export type { WorkerLike, WorkerRerankerOptions } from './worker-proxy';
export { defaultOptions } from './options';
export { resolveBackend, BACKENDS } from './backend-choice';
export { loadBundle, readBundleJson } from './bundle';
export { isCached, clearCache } from './cache-control';
export { requestPersistentStorage, CACHE_NAME } from './cache';
export type { LoadedBundle, LoadOptions } from './bundle';
export { resolveConfig, configName } from './config';
export type { ResolvedConfig } from './config';
export { plan } from './plan';
export type { LayerStep, PlanModel } from './plan';
export { parseManifest, bundleFiles } from './manifest';
export { fuseScores, zscore, DEFAULT_FUSION_WEIGHT } from './fusion';
export type { Manifest } from './manifest';
export {
  MatryoshkaError, OptionsError, ConfigError, InputError, BundleError, StorageFullError, BackendError, DeviceLostError,
  WorkerCrashedError, DisposedError, AbortError, RuntimeError,
} from './errors';
export type {
  Backend, ResolvedBackend, CompressionMode, CompressSpec, RerankConfig, CalibratedConfig, LoadProgress,
  RerankerOptions, ModelFiles, ModelSource, RankOptions, RankedPassage, ControllerDecision, RankResult, RankShape, ProgressiveStage,
  ProgressiveOptions, ProgressiveResult, BackendInfo, ModelInfo, RerankerInterface, ConfigRequest, ConfigChooser,
} from './types';
