/**
 * The in-thread engine: loads a bundle, creates one onnxruntime session per graph on the
 * chosen backend, and serves `rank` / `rankProgressive` one call at a time (calls queue).
 * The worker runs exactly this class; `createReranker` returns it directly.
 */
import { watchDeviceLost } from './backend';
import type { LoadedBundle } from './bundle';
import { requestPersistentStorage } from './cache';
import { type CanaryReport, runCanary } from './canary';
import { configName, resolveConfig, toRerankConfig, type ResolvedConfig } from './config';
import { startEngine } from './engine-load';
import { AbortError, asMatryoshkaError, BundleError, DeviceLostError, DisposedError, OptionsError, throwIfAborted } from './errors';
import { Forward } from './forward';
import { checkFirstStageLength, DEFAULT_FUSION_WEIGHT, fuseScores } from './fusion';
import type { Manifest } from './manifest';
import { checkProgressiveOptions, checkRankOptions, type ResolvedOptions, resolveOptions } from './options';
import { planStages, runProgressive } from './progressive';
import { scoreRows } from './scoring';
import type { StagedSessions } from './staged-sessions';
import type { RowTokenizer, TokenizedRow } from './tokenize';
import type {
  BackendInfo, ControllerDecision, ModelInfo, ProgressiveOptions, ProgressiveResult, RankedPassage, RankOptions,
  RankResult, RerankerInterface, RerankerOptions,
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
    const parts = await startEngine(opts);
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
    return this.enqueue(options?.signal, () => this.doRank(query, passages, checkRankOptions(options)));
  }

  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    return this.enqueue(options?.signal, () => this.doProgressive(query, passages, checkProgressiveOptions(options)));
  }

  async info(): Promise<ModelInfo & BackendInfo> {
    this.checkUsable();
    const m = this.manifest;
    return {
      name: m.name,
      numLayers: m.architecture.numLayers,
      exits: [...m.exits],
      ratios: [...m.compression.ratios],
      configurations: m.configurations.map((c) => ({ ...c })),
      maxQueryTokens: m.input.maxQueryTokens,
      maxPassageTokens: m.input.maxPassageTokens,
      version: this.version,
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

  /** Tokenize in slices, yielding to the event loop so an abort is seen within ~20 ms. */
  private async tokenize(query: string, passages: string[], signal?: AbortSignal): Promise<{ rows: TokenizedRow[]; queryTruncated: boolean; ms: number }> {
    const t0 = now();
    const out = await this.tokenizer.rowsAsync(query, passages, signal);
    return { ...out, ms: now() - t0 };
  }

  private async chooseConfig(options: RankOptions, rows: TokenizedRow[]): Promise<{ cfg: ResolvedConfig; decision?: ControllerDecision }> {
    if (options.budgetMs === undefined) return { cfg: this.resolve(options.config) };
    const chooser = this.options.chooseConfig;
    if (!chooser) {
      throw new OptionsError('MatryoshkaReranker: option "budgetMs" needs a controller: pass createReranker({ chooseConfig }) or use option "config" instead');
    }
    const decision = await chooser({
      budgetMs: options.budgetMs,
      lengths: rows.map((r) => r.ids.length),
      configurations: this.runnable().map((c) => ({ ...c })),
      backend: this.backendInfo.backend,
      qLen: rows[0]?.qLen ?? 0,
      limits: { batchSize: this.options.batchSize, maxBatchTokens: this.options.maxBatchTokens },
    });
    return { cfg: this.resolve(decision.config), decision };
  }

  private async doRank(query: string, passages: string[], options: RankOptions): Promise<RankResult> {
    const t0 = now();
    // a count mismatch fails before any model work
    if (options.firstStageScores && Array.isArray(passages)) checkFirstStageLength(options.firstStageScores, passages.length);
    const tok = await this.tokenize(query, passages, options.signal);
    const { cfg, decision } = await this.chooseConfig(options, tok.rows);
    await this.needLayers(cfg.depth);
    const t1 = now();
    const ctx = { forward: this.forward, limits: this.options, ...(options.signal ? { signal: options.signal } : {}) };
    const scores = await scoreRows(ctx, tok.rows, tok.rows.map((_, i) => i), cfg);
    const t2 = now();
    let results: RankedPassage[] = tok.rows.map((r, index) => ({ index, score: scores[index]!, truncated: r.truncated, depth: cfg.depth }));
    let fusionWeight: number | undefined;
    if (options.firstStageScores) {
      fusionWeight = options.fusionWeight ?? this.manifest.fusion?.weight ?? DEFAULT_FUSION_WEIGHT;
      const fused = fuseScores(scores, options.firstStageScores, fusionWeight);
      results = results.map((r) => ({ ...r, modelScore: r.score, score: fused[r.index]! }));
    }
    results.sort((a, b) => b.score - a.score || a.index - b.index);
    if (options.topK !== undefined) results = results.slice(0, options.topK);
    return {
      results,
      config: toRerankConfig(cfg),
      backend: this.backendInfo.backend,
      timings: { tokenizeMs: tok.ms, modelMs: t2 - t1, totalMs: now() - t0 },
      ...(decision ? { decision } : {}),
      ...(fusionWeight !== undefined ? { fusionWeight } : {}),
      queryTruncated: tok.queryTruncated,
    };
  }

  private async doProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    const t0 = now();
    const plan = planStages(options.stages, options.compress, this.manifest);
    await this.needLayers(Math.max(...plan.map((p) => p.depth)));
    const tok = await this.tokenize(query, passages, options.signal);
    const t1 = now();
    const ctx = { forward: this.forward, limits: this.options, ...(options.signal ? { signal: options.signal } : {}) };
    const outcomes = await runProgressive(ctx, tok.rows, plan, (s, o) => options.onStage?.(s, o.ranking));
    const t2 = now();
    const last = plan[plan.length - 1]!;
    const final = outcomes[outcomes.length - 1]?.ranking ?? [];
    return {
      results: options.topK === undefined ? final : final.slice(0, options.topK),
      config: toRerankConfig(last.cfg),
      backend: this.backendInfo.backend,
      timings: { tokenizeMs: t1 - t0, modelMs: t2 - t1, totalMs: now() - t0 },
      queryTruncated: tok.queryTruncated,
      stages: outcomes.map((o) => ({ depth: o.depth, scored: o.scored, resumed: o.resumed, results: o.ranking })),
    };
  }

  /** Name of a configuration in the trainer's scheme (for logs and the demo). */
  configName(config: RankOptions['config']): string {
    return configName(this.resolve(config));
  }
}
