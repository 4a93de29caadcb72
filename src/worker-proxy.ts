/**
 * The main-thread side of the worker: implements `RerankerInterface` by forwarding to a
 * dedicated Web Worker through comlink. Calls queue in the worker; an `AbortSignal` rejects
 * the call at once and tells the worker to stop it. If the worker crashes (`error` event) or
 * reports a lost GPU device, every pending call is rejected with a named error and the next
 * call spawns a fresh worker (the bundle then comes from the Cache API, not the network).
 */
import { type Endpoint, proxy, releaseProxy, type Remote, wrap } from 'comlink';
import { requestPersistentStorage } from './cache';
import {
  AbortError, DisposedError, MatryoshkaError, reviveError, type SerializedError, type StorageFullError, WorkerCrashedError,
} from './errors';
import { resolveOptions } from './options';
import type { FatalMessage, WorkerApi, WorkerInitOptions } from './protocol';
import type {
  BackendInfo, ModelInfo, ProgressiveOptions, ProgressiveResult, RankOptions, RankResult, RerankerInterface,
  RerankerOptions,
} from './types';

/** What the proxy needs from a Worker (a real `Worker`, or a test double). */
export interface WorkerLike extends Endpoint {
  terminate(): void;
}

export interface WorkerRerankerOptions extends RerankerOptions {
  /** Make the worker; default: a module Worker running src/worker.ts (bundled by Vite). */
  createWorker?: () => WorkerLike;
}

/** How long a crash waits for a more specific fatal message (e.g. device lost) from the worker. */
const CRASH_GRACE_MS = 100;

function defaultWorker(): WorkerLike {
  if (typeof Worker === 'undefined') {
    throw new MatryoshkaError('MatryoshkaReranker: Web Workers are not available here (Node?); use createReranker() or pass option "createWorker"');
  }
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'matryoshka-reranker' });
}

interface Live {
  worker: WorkerLike;
  api: Remote<WorkerApi>;
  ready: Promise<ModelInfo & BackendInfo>;
  pending: Set<(err: MatryoshkaError) => void>;
  dead: boolean;
}

export class WorkerReranker implements RerankerInterface {
  private live: Live | null = null;
  private nextCallId = 1;
  private disposed = false;
  private readonly init: WorkerInitOptions;
  private readonly createWorker: () => WorkerLike;

  constructor(private readonly options: WorkerRerankerOptions) {
    const { onProgress: _p, chooseConfig: _c, onCacheError: _e, createWorker, ...rest } = options;
    resolveOptions(rest); // validate here so bad options fail in the caller's thread
    this.init = rest;
    this.createWorker = createWorker ?? defaultWorker;
  }

  /** Spawn the worker and load the model; rejects with the load error. */
  async start(): Promise<ModelInfo & BackendInfo> {
    // persist() exists on the main thread only (not in workers): ask here, before the worker loads.
    if (this.options.persistStorage) await requestPersistentStorage();
    return this.ensure().ready;
  }

  rank(query: string, passages: string[], options: RankOptions = {}): Promise<RankResult> {
    const { signal, ...rest } = options ?? {};
    return this.call(signal, (api, id) => api.rank(id, query, passages, rest));
  }

  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    const { signal, onStage, ...rest } = options ?? ({} as ProgressiveOptions);
    return this.call(signal, (api, id) => api.rankProgressive(id, query, passages, rest, onStage ? proxy(onStage) : undefined));
  }

  info(): Promise<ModelInfo & BackendInfo> {
    return this.call(undefined, (api) => api.info());
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const live = this.live;
    this.live = null;
    if (!live) return;
    this.kill(live, new DisposedError('MatryoshkaReranker: the reranker was disposed while this call was pending'));
  }

  private ensure(): Live {
    if (this.disposed) throw new DisposedError('MatryoshkaReranker: this reranker was disposed; create a new one with createWorkerReranker()');
    if (this.live && !this.live.dead) return this.live;
    const worker = this.createWorker();
    const api = wrap<WorkerApi>(worker);
    const live: Live = { worker, api, ready: Promise.resolve() as never, pending: new Set(), dead: false };
    worker.addEventListener('error', (ev) => {
      const msg = (ev as ErrorEvent).message || 'uncaught error or out of memory';
      const err = new WorkerCrashedError(`MatryoshkaReranker: the worker crashed (${msg}); the call failed, the next call starts a new worker`);
      // A lost GPU device often surfaces first as an uncaught error inside onnxruntime, with the
      // worker's own (more precise) device-lost message right behind it: give that a moment.
      setTimeout(() => this.kill(live, err), CRASH_GRACE_MS);
    });
    worker.addEventListener('message', (ev) => {
      const data = (ev as MessageEvent).data as Partial<FatalMessage> | undefined;
      if (data?.type === 'matryoshka-reranker:fatal' && data.error) this.kill(live, reviveError(data.error));
    });
    const { onProgress, chooseConfig, onCacheError } = this.options;
    const cacheError = onCacheError ? proxy((e: SerializedError) => onCacheError(reviveError(e) as StorageFullError)) : undefined;
    live.ready = this.guard(live, undefined, () =>
      api.init(this.init, onProgress ? proxy(onProgress) : undefined, chooseConfig ? proxy(chooseConfig) : undefined, cacheError));
    // A failed load leaves no half-initialized worker behind.
    live.ready.catch((e: unknown) => this.kill(live, reviveError(e)));
    this.live = live;
    return live;
  }

  /** Reject everything pending on `live` and terminate it; the next call re-spawns. */
  private kill(live: Live, err: MatryoshkaError): void {
    if (live.dead) return;
    live.dead = true;
    for (const reject of [...live.pending]) reject(err);
    live.pending.clear();
    try { live.api[releaseProxy](); } catch { /* already gone */ }
    live.worker.terminate();
    if (this.live === live) this.live = null;
  }

  /** Run `fn` so that crash, abort and dispose reject it with a named error. */
  private guard<T>(live: Live, signal: AbortSignal | undefined, fn: () => Promise<T>, onAbort?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (err: MatryoshkaError) => { cleanup(); reject(err); };
      const abort = () => { onAbort?.(); fail(new AbortError()); };
      const cleanup = () => { live.pending.delete(fail); signal?.removeEventListener('abort', abort); };
      if (signal?.aborted) return reject(new AbortError());
      live.pending.add(fail);
      signal?.addEventListener('abort', abort, { once: true });
      fn().then((v) => { cleanup(); resolve(v); }, (e: unknown) => fail(reviveError(e)));
    });
  }

  private async call<T>(signal: AbortSignal | undefined, fn: (api: Remote<WorkerApi>, callId: number) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new AbortError();
    const live = this.ensure();
    await live.ready;
    const id = this.nextCallId++;
    return this.guard(live, signal, () => fn(live.api, id), () => { void live.api.abort(id); });
  }
}
