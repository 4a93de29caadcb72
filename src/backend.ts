/**
 * Backends: choosing WebGPU or WASM (src/backend-choice.ts: `auto` skips software adapters and
 * measures real ones, src/engine-load.ts), configuring onnxruntime-web once per process, and
 * watching for a lost GPU device. Sessions and the graphs' I/O contract: src/ort-sessions.ts.
 * Runs in browsers, workers and Node (WASM).
 */
import * as ort from 'onnxruntime-web';
import { OptionsError, showValue } from './errors';
import type { ResolvedBackend } from './types';

// Choosing a backend needs no onnxruntime: it lives in backend-choice.ts, so the main thread of
// a worker-only app does not bundle onnxruntime-web. Re-exported here for existing importers.
export { BACKENDS, defaultThreads, resolveBackend } from './backend-choice';
export type { GpuProbe } from './backend-choice';

export type Ort = typeof ort;
export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;

/** onnxruntime-web's builds loaded in this realm, by entry point. */
const loaded = new Map<string, Promise<Ort>>();

/** Set by the library's worker entry (src/worker.ts): see `useWasmOnlyBuild`. */
let wasmOnly = false;

/**
 * Called by the library's worker entry, whose realm holds one engine: a WASM engine there loads
 * onnxruntime-web's plain build (`onnxruntime-web/wasm`, a 14 MB .wasm) instead of the default
 * one with WebGPU kernels (JSEP, a 28 MB .wasm that also runs WASM), so a page whose worker never
 * uses WebGPU never downloads the larger binary. Elsewhere (in-thread engines, where a page may
 * mix backends) every engine uses the default build: one onnxruntime instance per realm.
 */
export function useWasmOnlyBuild(): void {
  wasmOnly = true;
}

/**
 * The onnxruntime-web build for a backend, loaded once per realm and configured (`configureOrt`):
 * the default build (imported statically: its .wasm loads with the first session), or the plain
 * WASM build in the library's worker (`useWasmOnlyBuild`) unless the default one is already in
 * use there (an `auto` engine that measured WebGPU against WASM). Tensors and sessions of one
 * engine come from one build (another build's session refuses them): `Sessions.ort`.
 */
export function ortFor(backend: ResolvedBackend): Promise<Ort> {
  const entry = backend === 'wasm' && wasmOnly && !loaded.has('onnxruntime-web') ? 'onnxruntime-web/wasm' : 'onnxruntime-web';
  let m = loaded.get(entry);
  if (!m) {
    m = (entry === 'onnxruntime-web/wasm' ? import('onnxruntime-web/wasm').then((o) => o as Ort) : Promise.resolve(ort)).then((o) => {
      applyEnv(o);
      return o;
    });
    loaded.set(entry, m);
  }
  return m;
}

function applyEnv(o: Ort): void {
  if (!applied) return; // configureOrt applies it when it runs
  o.env.wasm.numThreads = applied.numThreads;
  if (applied.wasmPaths) o.env.wasm.wasmPaths = applied.wasmPaths;
  o.env.logLevel = 'error';
}

/** The onnxruntime-web settings an engine applies to `ort.env` (see `configureOrt`). */
export interface OrtSettings {
  /** WASM threads. */
  numThreads: number;
  /** Prefix URL of onnxruntime-web's .wasm files; undefined: next to the ORT module. */
  wasmPaths: string | undefined;
}

/**
 * What the first engine of this JavaScript realm (page, worker or Node process) set. `ort.env`
 * is one per realm and onnxruntime reads it once, when its WASM module starts, so it is set
 * once and never changed afterwards.
 */
let applied: OrtSettings | null = null;

/**
 * Configure onnxruntime-web's WASM backend, once per realm. The first call sets `ort.env`
 * (threads, .wasm location, log level); a later call with the same settings, or leaving one
 * out (`undefined`: the one in effect), is fine; a later call asking for another value throws
 * an OptionsError saying how to fix it. `defaultThreads` is used when the first call leaves
 * `numThreads` out. Returns the settings in effect.
 */
export function configureOrt(requested: { numThreads?: number | undefined; wasmPaths?: string | undefined }, defaultThreads: number): OrtSettings {
  const { numThreads, wasmPaths } = requested;
  for (const [name, v] of [['numThreads', numThreads], ['defaultThreads', defaultThreads]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new OptionsError(`MatryoshkaReranker: option "${name}" must be a positive integer, got ${showValue(v)}`);
    }
  }
  if (applied) {
    const where = 'onnxruntime-web is configured once per page, worker or process, by the first reranker created there';
    if (numThreads !== undefined && numThreads !== applied.numThreads) {
      throw new OptionsError(`MatryoshkaReranker: option "numThreads" is ${numThreads}, but this realm already runs onnxruntime-web with ${applied.numThreads} thread(s) (${where}); pass numThreads: ${applied.numThreads} or leave it out, or create this reranker in its own worker (createWorkerReranker)`);
    }
    if (wasmPaths !== undefined && wasmPaths !== applied.wasmPaths) {
      throw new OptionsError(`MatryoshkaReranker: option "wasmPaths" is ${showValue(wasmPaths)}, but this realm already loads onnxruntime-web's .wasm files from ${applied.wasmPaths === undefined ? 'its default location' : showValue(applied.wasmPaths)} (${where}); pass the same wasmPaths or leave it out, or create this reranker in its own worker (createWorkerReranker)`);
    }
    return { ...applied };
  }
  applied = { numThreads: numThreads ?? defaultThreads, wasmPaths };
  for (const m of loaded.values()) void m.then(applyEnv);
  return { ...applied };
}

/**
 * Call `onLost` once if the WebGPU device used by onnxruntime is lost. Returns after
 * registering; a no-op on WASM.
 */
export async function watchDeviceLost(backend: ResolvedBackend, onLost: (reason: string) => void): Promise<void> {
  if (backend !== 'webgpu') return;
  try {
    const device = (await (await ortFor('webgpu')).env.webgpu.device) as { lost?: Promise<{ reason?: string; message?: string }> } | undefined;
    device?.lost?.then((info) => onLost(`${info.reason ?? 'unknown'}: ${info.message ?? ''}`)).catch(() => {});
  } catch {
    /* device not created (no webgpu session yet): nothing to watch */
  }
}

/** CPU tensors of one onnxruntime-web build (the one its engine's sessions come from). */
export interface TensorMaker {
  (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensor;
  (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensor;
}

export function tensorMaker(ort: Ort): TensorMaker {
  return ((type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) => new ort.Tensor(type, data, dims)) as TensorMaker;
}
