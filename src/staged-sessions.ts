/**
 * Sessions built as the bundle arrives (progressive loading): the files every configuration
 * needs (embeddings, compression, adapters) first, then layer by layer. A layer counts as ready
 * once its graph and its LoRA-free twin have sessions; `whenLayers(n)` waits for the first `n`.
 * The engine ranks with the exits already ready and waits only for a deeper explicit request.
 */
import { AdapterStore } from './adapters';
import { type Ort, type OrtSession, ortFor } from './backend';
import { DisposedError } from './errors';
import type { Sessions } from './forward';
import type { Manifest } from './manifest';
import { checkExitHead, checkSessionIo, COMPRESS_IO, createSession, EMBEDDINGS_IO, type GraphIo, layerIo } from './ort-sessions';
import { MergedLayers } from './int8-merge';
import { layerGraphs } from './layer-graphs';
import { parseSafetensors } from './safetensors';
import type { ResolvedBackend } from './types';

/** Bundle files as they arrive; `get` waits for one, or rejects with the loading error. */
export class FileStore {
  private readonly files = new Map<string, Uint8Array>();
  private readonly waiters = new Map<string, { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }[]>();
  private error: unknown = null;

  put(file: string, bytes: Uint8Array): void {
    this.files.set(file, bytes);
    for (const w of this.waiters.get(file) ?? []) w.resolve(bytes);
    this.waiters.delete(file);
  }

  fail(error: unknown): void {
    if (this.error) return;
    this.error = error;
    for (const list of this.waiters.values()) for (const w of list) w.reject(error);
    this.waiters.clear();
  }

  get(file: string): Promise<Uint8Array> {
    const have = this.files.get(file);
    if (have) return Promise.resolve(have);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(file) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(file, list);
    });
  }
}

/** Quiet time after a call before the next session compiles. */
const CALL_GAP_MS = 300;

export class StagedSessions {
  readonly layers: OrtSession[] = [];
  readonly plainLayers: OrtSession[] = [];
  private ort: Ort | null = null;
  private embeddings: OrtSession | null = null;
  private compress: OrtSession | null = null;
  private store: AdapterStore | null = null;
  private merged: MergedLayers | null = null;
  private readonly created: OrtSession[] = [];
  private disposed = false;
  private error: unknown = null;
  private readonly waiting: { layers: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Layers ready (-1 until the embeddings, compression and adapters are). */
  private ready = -1;
  private readonly done: Promise<void>;
  private readonly prepared: Promise<void>;
  /** Calls running now: building waits for them between sessions (one WASM thread pool serves both). */
  private calls = 0;
  private callsDone: (() => void)[] = [];
  private lastCallEnd = 0;

  /**
   * Start building. `onCompile(file)` is told before each session is created; `onLayer(n)`
   * after layer `n` is ready (0: the shared graphs).
   */
  constructor(
    private readonly files: FileStore, private readonly manifest: Manifest, readonly backend: ResolvedBackend,
    private readonly hooks: { onCompile?: (file: string) => void; onLayer?: (layers: number) => void } = {},
  ) {
    this.done = this.build().catch((e: unknown) => this.failWith(e));
    // int8 on WASM: the merged sessions of every calibrated configuration, in the background
    this.prepared = this.done.then(() => (this.error ? undefined : this.merged?.prepare(() => this.yieldToCalls())));
  }

  /** Layers whose sessions exist (0 before the first; -1 before the shared graphs). */
  get layersReady(): number {
    return this.ready;
  }

  /** The sessions so far (their layer arrays grow as layers become ready). */
  get sessions(): Sessions {
    if (!this.ort || !this.embeddings || !this.compress) throw new RangeError('StagedSessions: shared graphs not ready yet; await whenLayers(0)');
    const plain = layerGraphs(this.manifest, this.backend).plainLayers;
    return {
      ort: this.ort, embeddings: this.embeddings, compress: this.compress, layers: this.layers,
      ...(plain ? { plainLayers: this.plainLayers } : {}), ...(this.merged ? { merged: this.merged } : {}),
    };
  }

  get adapters(): AdapterStore {
    if (!this.store) throw new RangeError('StagedSessions: adapters not ready yet; await whenLayers(0)');
    return this.store;
  }

  /** Resolves once the first `n` layers (and the shared graphs) are ready; rejects with a load error. */
  whenLayers(n: number): Promise<void> {
    if (this.ready >= n) return Promise.resolve();
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiting.push({ layers: n, resolve, reject }));
  }

  /** Every session built (or the build failed). */
  finished(): Promise<void> {
    return this.done;
  }

  /**
   * Run a call with priority over building: no new session compiles while it runs, so a
   * search during progressive loading is not slowed down (or mis-timed) by the compiler.
   */
  async priority<T>(fn: () => Promise<T>): Promise<T> {
    this.calls++;
    try {
      return await fn();
    } finally {
      this.lastCallEnd = Date.now();
      if (--this.calls === 0) for (const w of this.callsDone.splice(0)) w();
    }
  }

  /**
   * `whenLayers` from inside a `priority` call: the call steps aside while it waits, or the
   * builder it waits for would wait for it.
   */
  async whenLayersInCall(n: number): Promise<void> {
    if (this.ready >= n) return;
    this.lastCallEnd = Date.now() - CALL_GAP_MS;
    if (--this.calls === 0) for (const w of this.callsDone.splice(0)) w();
    try {
      await this.whenLayers(n);
    } finally {
      this.calls++;
    }
  }

  /**
   * Wait until no call runs and none ended in the last `CALL_GAP_MS` (calls come in bursts: a
   * calibration's probe runs, a search and the next): a session compile takes the WASM threads
   * for a while and would land in the middle of the burst.
   */
  private async yieldToCalls(): Promise<void> {
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      if (this.calls > 0) { await new Promise<void>((r) => this.callsDone.push(r)); continue; }
      const quiet = CALL_GAP_MS - (Date.now() - this.lastCallEnd);
      if (quiet <= 0) return;
      await new Promise((r) => setTimeout(r, quiet));
    }
  }

  /** Stop building and release every session. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.failWith(new DisposedError('MatryoshkaReranker: the reranker was disposed while its model was loading'));
    await this.done;
    await this.merged?.dispose(); // stops `prepare` at its next session
    await this.prepared;
    await Promise.all(this.created.map((s) => s.release().catch(() => {})));
  }

  private async open(file: string, io: GraphIo, external: { path: string; data: Uint8Array }[] = []): Promise<OrtSession> {
    const bytes = await this.files.get(file);
    await this.yieldToCalls();
    if (this.disposed) throw this.error;
    this.hooks.onCompile?.(file);
    const s = await createSession(this.ort!, bytes, file, this.backend, io, external);
    this.created.push(s);
    if (this.disposed) throw this.error;
    checkSessionIo(s, file, io.inputs, io.outputs);
    return s;
  }

  private async build(): Promise<void> {
    const m = this.manifest;
    const g = m.graphs;
    // int8 bundles on WebGPU: the dequantized twins, on the same weights files (src/layer-graphs.ts)
    const lg = layerGraphs(m, this.backend);
    this.ort = await ortFor(this.backend);
    this.embeddings = await this.open(g.embeddings, EMBEDDINGS_IO);
    this.compress = await this.open(g.compress, COMPRESS_IO);
    this.store = new AdapterStore(parseSafetensors(await this.files.get(m.adapters.file), m.adapters.file), m);
    if (MergedLayers.applies(m, this.backend)) this.merged = new MergedLayers(this.ort, m, this.backend, this.store, (f) => this.files.get(f));
    this.advance(0);
    for (let i = 0; i < lg.layers.length; i++) {
      const weights = g.layerWeights ? [{ path: g.layerWeights[i]!, data: await this.files.get(g.layerWeights[i]!) }] : [];
      const layer = await this.open(lg.layers[i]!, layerIo(i + 1, m, false), weights);
      checkExitHead(layer, lg.layers[i]!, i + 1, m);
      const plain = lg.plainLayers ? await this.open(lg.plainLayers[i]!, layerIo(i + 1, m, true), weights) : null;
      if (plain) checkExitHead(plain, lg.plainLayers![i]!, i + 1, m);
      this.layers.push(layer);
      if (plain) this.plainLayers.push(plain);
      this.advance(i + 1);
    }
  }

  private advance(n: number): void {
    this.ready = n;
    for (const w of [...this.waiting]) {
      if (w.layers <= n) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve();
      }
    }
    this.hooks.onLayer?.(n);
  }

  private failWith(e: unknown): void {
    this.error ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.error);
  }
}
