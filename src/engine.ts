/**
 * The in-thread engine: the call queue and the lifecycle. `create` loads a bundle
 * (src/engine-load.ts: backend, sessions layer by layer), the engine then serves `rank` /
 * `rankProgressive` one call at a time (calls queue; each runs src/rank-pipeline.ts), runs the
 * bundle checks in that queue, and refuses calls once disposed, damaged or on a lost device.
 * The worker runs exactly this class; `createReranker` returns it directly.
 */
import { watchDeviceLost } from './backend';
import type { LoadedBundle } from './bundle';
import { requestPersistentStorage } from './cache';
import { type CanaryReport, runCanary } from './canary';
import { configName, resolveConfig, type ResolvedConfig } from './config';
import { startEngine } from './engine-load';
import { AbortError, asMatryoshkaError, BundleError, DeviceLostError, DisposedError, throwIfAborted } from './errors';
import { Forward } from './forward';
import type { Manifest } from './manifest';
import { checkProgressiveOptions, checkRankOptions, type ResolvedOptions, resolveOptions } from './options';
import { type PipelineContext, progressivePipeline, rankPipeline } from './rank-pipeline';
import type { StagedSessions } from './staged-sessions';
import type { RowTokenizer } from './tokenize';
import type {
  BackendInfo, ModelInfo, ProgressiveOptions, ProgressiveResult, RankOptions, RankResult, RerankerInterface, RerankerOptions,
} from './types';

/** Notifications from the engine to its host (the worker forwards them to the main thread). */
export interface EngineHooks {
  /** The WebGPU device was lost: every later call fails until a new engine is created. */
  onDeviceLost?: (error: DeviceLostError) => void;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Where loading spent its time (ms). The checks: `hashWaitMs`, how long loading waited for the
 * file hashes after creating the sessions (they run off the main thread meanwhile; `hashMs` is
 * their own time), and the golden `canary`.
 */
export interface LoadReport {
  totalMs: number;
  hashMs: number;
  hashWaitMs: number;
  canary: CanaryReport;
}

export class Engine implements RerankerInterface {
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private report: LoadReport | null = null;
  private lost: string | null = null;
  /** The bundle checks (hashes + golden canary); `bad` holds their error once they failed. */
  private checks: Promise<void> = Promise.resolve();
  private bad: Error | null = null;

  private constructor(
    private readonly options: ResolvedOptions,
    private readonly manifest: Manifest,
    private readonly backendInfo: BackendInfo,
    private readonly staged: StagedSessions,
    private readonly tokenizer: RowTokenizer,
    private readonly forward: Forward,
    private readonly version: string,
    private readonly stopLoading: () => void,
  ) {}

  /**
   * Choose the backend, load the bundle and create sessions. Resolves once the shallowest exit
   * can rank (src/engine-load.ts); deeper layers keep loading (`info().layersReady`). Rejects
   * with a named error (see src/errors.ts).
   */
  static async create(options: RerankerOptions, hooks: EngineHooks = {}): Promise<Engine> {
    const t0 = now();
    const opts = resolveOptions(options);
    if (opts.persistStorage) await requestPersistentStorage();
    // A thread count left out takes the one in effect (ort.env is set once: src/backend.ts).
    const parts = await startEngine(opts, { explicitThreads: options.numThreads !== undefined });
    const { manifest, backendInfo, staged } = parts;
    const forward = new Forward(staged.sessions, manifest, staged.adapters);
    const engine = new Engine(opts, manifest, backendInfo, staged, parts.tokenizer, forward, parts.version, parts.abort);
    // The bundle checks (src/integrity.ts hashes, then the golden canary on every layer,
    // src/canary.ts). Sessions are only built from files whose hash matched; the canary needs
    // the deep layers, so with progressive loading it runs once every layer is loaded, and a
    // failure makes every later call reject with its BundleError (a damaged bundle is refused,
    // never run). Without progressive loading, create() waits for it.
    const checks = engine.runChecks(parts.bundle, t0);
    if (!opts.progressiveLoad) {
      try {
        await checks;
      } catch (e) {
        await engine.dispose();
        throw e;
      }
    } else {
      checks.catch(() => {}); // surfaces through every later call (and loaded())
    }
    await watchDeviceLost(backendInfo.backend, (reason) => {
      engine.lost = reason;
      hooks.onDeviceLost?.(engine.lostError());
    });
    return engine;
  }

  /** Time spent loading, and on the bundle checks within it (bench/load-checks.ts prints it). */
  get loadReport(): LoadReport | null {
    return this.report;
  }

  /** Validate a configuration against the bundle (throws ConfigError listing valid values). */
  resolve(config: RankOptions['config']): ResolvedConfig {
    return resolveConfig(config, this.manifest);
  }

  rank(query: string, passages: string[], options?: RankOptions): Promise<RankResult> {
    return this.enqueue(options?.signal, () => rankPipeline(this.pipeline, query, passages, checkRankOptions(options)));
  }

  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    return this.enqueue(options?.signal, () => progressivePipeline(this.pipeline, query, passages, checkProgressiveOptions(options)));
  }

  /** What the ranking pipeline runs with (src/rank-pipeline.ts). */
  private get pipeline(): PipelineContext {
    return {
      forward: this.forward,
      tokenizer: this.tokenizer,
      manifest: this.manifest,
      backend: this.backendInfo.backend,
      limits: { batchSize: this.options.batchSize, maxBatchTokens: this.options.maxBatchTokens },
      ...(this.options.chooseConfig ? { chooseConfig: this.options.chooseConfig } : {}),
      runnable: () => this.runnable(),
      needLayers: (depth) => this.needLayers(depth),
    };
  }

  async info(): Promise<ModelInfo & BackendInfo> {
    this.checkUsable();
    const m = this.manifest;
    return {
      name: m.name,
      numLayers: m.architecture.numLayers,
      hiddenSize: m.architecture.hiddenSize,
      intermediateSize: m.architecture.intermediateSize,
      exits: [...m.exits],
      ratios: [...m.compression.ratios],
      configurations: m.configurations.map((c) => ({ ...c })),
      maxQueryTokens: m.input.maxQueryTokens,
      maxPassageTokens: m.input.maxPassageTokens,
      version: this.version,
      precision: m.precision ?? 'float16',
      layersReady: Math.max(0, this.staged.layersReady),
      ...this.backendInfo,
    };
  }

  /** Resolves when every layer is loaded and the bundle checks passed (rejects with the loading or check error). */
  async loaded(): Promise<void> {
    await this.staged.whenLayers(this.manifest.architecture.numLayers);
    await this.checks;
  }

  /** Wait until a configuration's layers have arrived (progressive loading). */
  private async needLayers(depth: number): Promise<void> {
    if (this.staged.layersReady < depth) await this.staged.whenLayersInCall(depth);
    if (this.bad) throw this.bad;
  }

  /** Configurations the loaded layers can run (all of them once the bundle is complete). */
  private runnable(): Manifest['configurations'] {
    const ready = this.staged.layersReady;
    const ok = this.manifest.configurations.filter((c) => c.depth <= ready);
    return ok.length ? ok : this.manifest.configurations.filter((c) => c.depth === Math.min(...this.manifest.exits));
  }

  /**
   * Wait for every file's hash, then every layer, then run the golden canary (in the call
   * queue, so it never runs alongside a caller's call). A failure is kept: every later call
   * rejects with it.
   */
  private runChecks(bundle: Promise<LoadedBundle>, t0: number): Promise<void> {
    const run = async (): Promise<void> => {
      const b = await bundle;
      const t1 = now();
      await b.verified;
      const hashWaitMs = now() - t1;
      await this.staged.whenLayers(this.manifest.architecture.numLayers);
      if (this.disposed) throw new DisposedError('MatryoshkaReranker: disposed before the bundle checks ran');
      const canary = await this.enqueue(undefined, () => runCanary(this.forward, this.tokenizer, this.manifest, b.golden, this.backendInfo.backend, b.location), true);
      this.report = { totalMs: now() - t0, hashMs: b.hashMs(), hashWaitMs, canary };
    };
    this.checks = run().catch((e: unknown) => {
      if (this.disposed && e instanceof DisposedError) throw e;
      const err = e instanceof BundleError ? e : asMatryoshkaError(e, 'the load-time canary (golden.json) failed');
      this.bad = err;
      throw err;
    });
    return this.checks;
  }

  /**
   * Release the sessions. Calls made before `dispose()` (running or still queued) complete
   * first; calls made after it reject with DisposedError. Resolves once the queue has drained
   * and the sessions are freed (abort queued calls with their signals to stop sooner).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // calls made before dispose() complete first (they may still wait for their layers), then loading stops
    await this.queue.catch(() => {});
    this.stopLoading();
    await this.staged.dispose();
  }

  /** Run calls one at a time; a call aborted while waiting never starts; dispose() drains the queue. */
  private enqueue<T>(signal: AbortSignal | undefined, fn: () => Promise<T>, check = false): Promise<T> {
    try {
      if (!check) this.checkUsable();
    } catch (e) {
      return Promise.reject(e);
    }
    const run = async (): Promise<T> => {
      if (this.lost) throw this.lostError();
      if (this.bad && !check) throw this.bad;
      throwIfAborted(signal);
      try {
        return await this.staged.priority(fn);
      } catch (e) {
        if (this.lost) throw this.lostError();
        throw asMatryoshkaError(e, 'inference failed');
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    if (!signal) return result;
    // Reject right away on abort even if the call is still queued or inside a long step.
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new AbortError());
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private checkUsable(): void {
    if (this.disposed) throw new DisposedError('MatryoshkaReranker: this reranker was disposed; create a new one with createReranker()');
    if (this.lost) throw this.lostError();
    if (this.bad) throw this.bad;
  }

  private lostError(): DeviceLostError {
    return new DeviceLostError(`MatryoshkaReranker: the WebGPU device was lost (${this.lost}); create a new reranker (the worker reranker re-spawns by itself) or use backend "wasm"`);
  }

  /**
   * The rows `rank` would build (tokenizer parity checks, benchmarks): unpadded ids
   * `[CLS] q [SEP] p [SEP]`, lengths and truncation flags. Throws InputError like `rank`.
   */
  encode(query: string, passages: string[]): { inputIds: number[][]; qLens: number[]; pLens: number[]; truncated: boolean[]; queryTruncated: boolean } {
    this.checkUsable();
    const { rows, queryTruncated } = this.tokenizer.rows(query, passages);
    return {
      inputIds: rows.map((r) => Array.from(r.ids)),
      qLens: rows.map((r) => r.qLen),
      pLens: rows.map((r) => r.pLen),
      truncated: rows.map((r) => r.truncated),
      queryTruncated,
    };
  }

  /** Name of a configuration in the trainer's scheme (for logs and the demo). */
  configName(config: RankOptions['config']): string {
    return configName(this.resolve(config));
  }
}
