/**
 * The worker protocol: what the main thread may call on the worker (through comlink) and the
 * one message the worker posts on its own. Types only: the worker side is src/worker-api.ts,
 * the main-thread side src/worker-proxy.ts.
 *
 * - `AbortSignal` cannot cross threads: each call carries a `callId`, and the proxy calls
 *   `abort(callId)` when the caller's signal fires.
 * - Callbacks (`onProgress`, `onStage`, `chooseConfig`, `onCacheError`) travel as `Comlink.proxy` functions.
 * - Errors are thrown as `Error`s whose `name` is one of src/errors.ts; comlink carries
 *   name + message + stack and the proxy revives the named class with `reviveError`.
 */
import type { SerializedError } from './errors';
import type {
  BackendInfo, ConfigChooser, LoadProgress, ModelInfo, ProgressiveOptions, ProgressiveResult, RankedPassage,
  RankOptions, RankResult, RerankerOptions,
} from './types';

/** Reranker options that can be structured-cloned (functions travel separately). */
export type WorkerInitOptions = Omit<RerankerOptions, 'onProgress' | 'chooseConfig' | 'onCacheError'>;

export type WorkerRankOptions = Omit<RankOptions, 'signal'>;
export type WorkerProgressiveOptions = Omit<ProgressiveOptions, 'signal' | 'onStage'>;

export type RemoteCallback<A extends unknown[]> = (...args: A) => void | Promise<void>;

export interface WorkerApi {
  /** Load the bundle and create the engine. Resolves with `info()`. */
  init(
    options: WorkerInitOptions,
    onProgress?: RemoteCallback<[LoadProgress]>,
    chooseConfig?: ConfigChooser,
    /** The model loaded but could not be cached (a serialized StorageFullError). */
    onCacheError?: RemoteCallback<[SerializedError]>,
  ): Promise<ModelInfo & BackendInfo>;
  rank(callId: number, query: string, passages: string[], options: WorkerRankOptions): Promise<RankResult>;
  rankProgressive(
    callId: number, query: string, passages: string[], options: WorkerProgressiveOptions,
    onStage?: RemoteCallback<[number, RankedPassage[]]>,
  ): Promise<ProgressiveResult>;
  /** Abort call `callId` (queued or running). Unknown ids are ignored. */
  abort(callId: number): void;
  info(): Promise<ModelInfo & BackendInfo>;
  dispose(): Promise<void>;
}

/** Posted by the worker (outside comlink) when it can no longer serve calls, e.g. GPU device lost. */
export interface FatalMessage {
  type: 'matryoshka-reranker:fatal';
  error: SerializedError;
}
