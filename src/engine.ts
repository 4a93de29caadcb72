/**
 * The in-thread engine: loads a bundle, creates one onnxruntime session per graph on the
 * chosen backend, and serves `rank` / `rankProgressive` one call at a time (calls queue).
 * The worker runs exactly this class; `createReranker` returns it directly.
 */
import { AdapterStore } from './adapters';
import { checkSessionIo, configureOrt, createSession, type OrtSession, resolveBackend, watchDeviceLost } from './backend';
import { type LoadedBundle, loadBundle } from './bundle';
import { requestPersistentStorage } from './cache';
import { type CanaryReport, runCanary } from './canary';
import { configName, resolveConfig, toRerankConfig, type ResolvedConfig } from './config';
import { AbortError, asMatryoshkaError, BundleError, DeviceLostError, DisposedError, OptionsError, throwIfAborted } from './errors';
import { yieldToEventLoop } from './event-loop';
import { Forward, type Sessions } from './forward';
import { checkFirstStageLength, DEFAULT_FUSION_WEIGHT, fuseScores } from './fusion';
import { ADAPTER_TARGETS, type Manifest } from './manifest';
import { checkProgressiveOptions, checkRankOptions, type ResolvedOptions, resolveOptions } from './options';
import { planStages, runProgressive } from './progressive';
import { scoreRows } from './scoring';
import { RowTokenizer, type TokenizedRow } from './tokenize';
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

  private constructor(
    private readonly options: ResolvedOptions,
    private readonly manifest: Manifest,
    private readonly backendInfo: BackendInfo,
    private readonly sessions: Sessions,
    private readonly tokenizer: RowTokenizer,
    private readonly forward: Forward,
  ) {}

  /** Load the bundle and create sessions. Rejects with a named error (see src/errors.ts). */
  static async create(options: RerankerOptions, hooks: EngineHooks = {}): Promise<Engine> {
    const t0 = now();
    const opts = resolveOptions(options);
    const backendInfo = await resolveBackend(opts.backend);
    configureOrt(opts.numThreads, opts.wasmPaths);
    if (opts.persistStorage) await requestPersistentStorage();
    const bundle = await loadBundle(opts.model, {
      cache: opts.cache,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onCacheError ? { onCacheError: opts.onCacheError } : {}),
    });
    let sessions: Sessions;
    try {
      sessions = await createSessions(bundle, backendInfo.backend);
    } catch (e) {
      await bundle.verified; // a damaged file is reported by name, not as what onnxruntime made of it
      throw e;
    }
    let engine: Engine;
    let canary: CanaryReport;
    let hashWaitMs = 0;
    // In Node, onnxruntime-web finishes initializing in a macrotask after the first session
    // (about a second): absorb it here so it lands neither in the canary nor in the first call.
    await yieldToEventLoop();
    try {
      const t1 = now();
      await bundle.verified;
      hashWaitMs = now() - t1;
      const adapters = new AdapterStore(bundle.adapters, bundle.manifest);
      const tokenizer = new RowTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig, bundle.manifest);
      const forward = new Forward(sessions, bundle.manifest, adapters);
      engine = new Engine(opts, bundle.manifest, backendInfo, sessions, tokenizer, forward);
      // A damaged or mismatched bundle is refused here, before any call runs on it.
      canary = await runCanary(forward, tokenizer, bundle.manifest, bundle.golden, backendInfo.backend, bundle.location);
    } catch (e) {
      await releaseAll(sessions);
      throw e instanceof BundleError ? e : asMatryoshkaError(e, 'the load-time canary (golden.json) failed');
    }
    await watchDeviceLost(backendInfo.backend, (reason) => {
      engine.lost = reason;
      hooks.onDeviceLost?.(engine.lostError());
    });
    engine.report = { totalMs: now() - t0, hashMs: bundle.hashMs(), hashWaitMs, canary };
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
      ...this.backendInfo,
    };
  }

  /**
   * Release the sessions. Calls made before `dispose()` (running or still queued) complete
   * first; calls made after it reject with DisposedError. Resolves once the queue has drained
   * and the sessions are freed (abort queued calls with their signals to stop sooner).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.catch(() => {});
    await releaseAll(this.sessions);
  }

  /** Run calls one at a time; a call aborted while waiting never starts; dispose() drains the queue. */
  private enqueue<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      this.checkUsable();
    } catch (e) {
      return Promise.reject(e);
    }
    const run = async (): Promise<T> => {
      if (this.lost) throw this.lostError();
      throwIfAborted(signal);
      try {
        return await fn();
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
      configurations: this.manifest.configurations.map((c) => ({ ...c })),
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

async function releaseAll(sessions: Sessions): Promise<void> {
  const all: OrtSession[] = [sessions.embeddings, ...sessions.layers, ...(sessions.plainLayers ?? []), sessions.compress];
  await Promise.all(all.map((s) => s.release().catch(() => {})));
}

/** Layers with an exit head must be exactly the manifest's `exits`. */
function checkExitHead(s: OrtSession, file: string, layer: number, m: Manifest): void {
  if (!m.exits.includes(layer) && s.outputNames.includes('score')) {
    throw new BundleError(`MatryoshkaReranker: ${file} has an exit head (output "score") but manifest.json "exits" (${m.exits.join(', ')}) does not list layer ${layer}: the manifest does not describe its graphs; re-export the bundle`);
  }
}

/** One session per graph; checks each graph's inputs/outputs against the contract. */
async function createSessions(bundle: LoadedBundle, backend: BackendInfo['backend']): Promise<Sessions> {
  const m = bundle.manifest;
  const g = m.graphs;
  const created: OrtSession[] = [];
  const open = async (bytes: Uint8Array, file: string, gpuOutputs: string[], inputs: string[], outputs: string[], external: { path: string; data: Uint8Array }[] = []) => {
    const s = await createSession(bytes, file, backend, gpuOutputs, external);
    created.push(s);
    checkSessionIo(s, file, inputs, outputs);
    return s;
  };
  try {
    const embeddings = await open(bundle.graphs.embeddings, g.embeddings, ['hidden'], ['input_ids', 'token_type_ids', 'position_ids'], ['hidden']);
    const lora = ADAPTER_TARGETS.flatMap((t) => [`lora_${t}_a`, `lora_${t}_b`]);
    const layers: OrtSession[] = [];
    const plainLayers: OrtSession[] = [];
    for (let i = 0; i < g.layers.length; i++) {
      const outputs = ['hidden_out', 'cls_attn', ...(m.exits.includes(i + 1) ? ['score'] : [])];
      const weights = g.layerWeights && bundle.graphs.layerWeights ? [{ path: g.layerWeights[i]!, data: bundle.graphs.layerWeights[i]! }] : [];
      layers.push(await open(bundle.graphs.layers[i]!, g.layers[i]!, ['hidden_out', 'cls_attn'], ['hidden', 'mask', ...lora], outputs, weights));
      checkExitHead(layers[i]!, g.layers[i]!, i + 1, m);
      if (g.plainLayers && bundle.graphs.plainLayers) {
        plainLayers.push(await open(bundle.graphs.plainLayers[i]!, g.plainLayers[i]!, ['hidden_out', 'cls_attn'], ['hidden', 'mask'], outputs, weights));
        checkExitHead(plainLayers[i]!, g.plainLayers[i]!, i + 1, m);
      }
    }
    const compress = await open(bundle.graphs.compress, g.compress, ['hidden_out'], ['hidden', 'weights', 'group', 'slots'], ['hidden_out']);
    return { embeddings, layers, compress, ...(plainLayers.length ? { plainLayers } : {}) };
  } catch (e) {
    await Promise.all(created.map((s) => s.release().catch(() => {})));
    throw e;
  }
}
