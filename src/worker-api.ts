/**
 * The worker side of the protocol (src/protocol.ts): one Engine per worker, AbortControllers
 * per call id, callbacks forwarded to the main thread. Kept free of `self` so tests can run
 * it on a MessageChannel.
 */
import { Engine } from './engine';
import { DisposedError, OptionsError, serializeError } from './errors';
import type { FatalMessage, WorkerApi } from './protocol';
import type { ProgressiveOptions, RankOptions } from './types';

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
    async init(options, onProgress, chooseConfig) {
      if (engine || loading) throw new OptionsError('MatryoshkaReranker: this worker is already initialized; create another worker reranker for another model');
      loading = Engine.create(
        { ...options, ...(onProgress ? { onProgress: (p) => void onProgress(p) } : {}), ...(chooseConfig ? { chooseConfig } : {}) },
        { onDeviceLost: (error) => post({ type: 'matryoshka-reranker:fatal', error: serializeError(error) }) },
      );
      try {
        engine = await loading;
      } finally {
        loading = null;
      }
      return engine.info();
    },
    rank(callId, query, passages, options) {
      return withSignal(callId, (signal) => ready().rank(query, passages, { ...options, signal } satisfies RankOptions));
    },
    rankProgressive(callId, query, passages, options, onStage) {
      return withSignal(callId, (signal) => ready().rankProgressive(query, passages, {
        ...options,
        signal,
        ...(onStage ? { onStage: (s, r) => void onStage(s, r) } : {}),
      } satisfies ProgressiveOptions));
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
