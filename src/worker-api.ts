/**
 * The worker side of the protocol (src/protocol.ts): one Engine per worker, AbortControllers
 * per call id, callbacks forwarded to the main thread. Kept free of `self` so tests can run
 * it on a MessageChannel.
 */
import { Engine } from './engine';
import { DisposedError, OptionsError, serializeError, type StorageFullError } from './errors';
import type { FatalMessage, WorkerApi } from './protocol';
import type { LoadProgress, ProgressiveOptions, RankOptions } from './types';

export function createWorkerApi(post: (message: FatalMessage) => void): WorkerApi {
  let engine: Engine | null = null;
  let loading: Promise<Engine> | null = null;
  const controllers = new Map<number, AbortController>();

  const ready = (): Engine => {
    if (!engine) throw new DisposedError('MatryoshkaReranker: the worker has no model loaded; call init() first (createWorkerReranker does this)');
    return engine;
  };

  async function withSignal<T>(callId: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ctl = new AbortController();
    controllers.set(callId, ctl);
    try {
      return await fn(ctl.signal);
    } finally {
      controllers.delete(callId);
    }
  }

  return {
    async init(options, onProgress, chooseConfig, onCacheError) {
      if (engine || loading) throw new OptionsError('MatryoshkaReranker: this worker is already initialized; create another worker reranker for another model');
      const delivered: Promise<void>[] = [];
      const progress = onProgress
        ? { onProgress: (p: LoadProgress) => { delivered.push(Promise.resolve(onProgress(p)).catch(() => {})); } }
        : {};
      // Without a handler on the main thread, the warning is printed here (the worker's console).
      const cacheError = onCacheError
        ? { onCacheError: (e: StorageFullError) => { delivered.push(Promise.resolve(onCacheError(serializeError(e))).catch(() => {})); } }
        : {};
      loading = Engine.create(
        { ...options, ...progress, ...cacheError, ...(chooseConfig ? { chooseConfig } : {}) },
        { onDeviceLost: (error) => post({ type: 'matryoshka-reranker:fatal', error: serializeError(error) }) },
      );
      try {
        engine = await loading;
      } finally {
        loading = null;
        await Promise.all(delivered);
      }
      return engine.info();
    },
    rank(callId, query, passages, options) {
      return withSignal(callId, (signal) => ready().rank(query, passages, { ...options, signal } satisfies RankOptions));
    },
    rankProgressive(callId, query, passages, options, onStage) {
      // Callbacks travel on their own channel: wait for them so the caller sees every stage
      // before the result.
      const delivered: Promise<void>[] = [];
      return withSignal(callId, async (signal) => {
        const result = await ready().rankProgressive(query, passages, {
          ...options,
          signal,
          ...(onStage ? { onStage: (s, r) => { delivered.push(Promise.resolve(onStage(s, r)).catch(() => {})); } } : {}),
        } satisfies ProgressiveOptions);
        await Promise.all(delivered);
        return result;
      });
    },
    abort(callId) {
      controllers.get(callId)?.abort();
    },
    info() {
      return ready().info();
    },
    async dispose() {
      for (const c of controllers.values()) c.abort();
      const e = engine;
      engine = null;
      await e?.dispose();
    },
  };
}
