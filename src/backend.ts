/**
 * Backends: choosing WebGPU or WASM (src/backend-choice.ts: `auto` skips software adapters and
 * measures real ones, src/engine-load.ts), configuring onnxruntime-web, creating sessions (GPU-resident outputs on WebGPU),
 * and watching for a lost GPU device. Runs in browsers, workers and Node (WASM).
 */
import * as ort from 'onnxruntime-web';
import { BackendError, BundleError, OptionsError, showValue } from './errors';
import type { ResolvedBackend } from './types';

// Choosing a backend needs no onnxruntime: it lives in backend-choice.ts, so the main thread of
// a worker-only app does not bundle onnxruntime-web. Re-exported here for existing importers.
export { BACKENDS, defaultThreads, resolveBackend } from './backend-choice';
export type { GpuProbe } from './backend-choice';

export type Ort = typeof ort;
export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;

/**
 * Configure onnxruntime-web's WASM backend. `ort.env` is process-wide in onnxruntime; it is
 * set once here, before the first session, and never changed afterwards.
 */
export function configureOrt(numThreads: number, wasmPaths?: string): Ort {
  if (!Number.isInteger(numThreads) || numThreads < 1) {
    throw new OptionsError(`MatryoshkaReranker: option "numThreads" must be a positive integer, got ${showValue(numThreads)}`);
  }
  ort.env.wasm.numThreads = numThreads;
  if (wasmPaths) ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.logLevel = 'error';
  return ort;
}

/**
 * Create one session. On WebGPU, outputs named in `gpuOutputs` stay on the GPU
 * (`gpu-buffer`) so hidden states never round-trip through the CPU; the rest come back to
 * the CPU. A file that onnxruntime cannot parse is reported as a BundleError naming it.
 */
export async function createSession(
  bytes: Uint8Array, file: string, backend: ResolvedBackend, gpuOutputs: readonly string[] = [],
  externalData: readonly { path: string; data: Uint8Array }[] = [],
): Promise<OrtSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    // Errors only: onnxruntime's placement notes (e.g. shape ops kept on the CPU under WebGPU)
    // are expected here and would otherwise reach the console at error level.
    logSeverityLevel: 3,
  };
  if (externalData.length) options.externalData = [...externalData];
  if (backend === 'webgpu' && gpuOutputs.length) {
    options.preferredOutputLocation = Object.fromEntries(gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (backend === 'webgpu' && !/protobuf|parse|invalid model|load model/i.test(msg)) {
      throw new BackendError(`MatryoshkaReranker: WebGPU could not create a session for ${file} (${msg}); use backend "wasm"`, { cause: e });
    }
    const withData = externalData.length ? ` with its weights ${externalData.map((d) => d.path).join(', ')}` : '';
    throw new BundleError(`MatryoshkaReranker: bundle file ${file}${withData} is not a valid ONNX graph for onnxruntime-web (${msg}); re-export the bundle with the trainer`, { cause: e });
  }
}

/** Check a session's input/output names against the bundle contract. */
export function checkSessionIo(session: OrtSession, file: string, inputs: readonly string[], outputs: readonly string[]): void {
  const missIn = inputs.filter((n) => !session.inputNames.includes(n));
  const missOut = outputs.filter((n) => !session.outputNames.includes(n));
  if (missIn.length || missOut.length) {
    throw new BundleError(
      `MatryoshkaReranker: ${file} does not match docs/bundle-format.md: ` +
      (missIn.length ? `missing inputs ${missIn.join(', ')} (has ${session.inputNames.join(', ')}); ` : '') +
      (missOut.length ? `missing outputs ${missOut.join(', ')} (has ${session.outputNames.join(', ')}); ` : '') +
      're-export the bundle with the trainer');
  }
}

/**
 * Call `onLost` once if the WebGPU device used by onnxruntime is lost. Returns after
 * registering; a no-op on WASM.
 */
export async function watchDeviceLost(backend: ResolvedBackend, onLost: (reason: string) => void): Promise<void> {
  if (backend !== 'webgpu') return;
  try {
    const device = (await ort.env.webgpu.device) as { lost?: Promise<{ reason?: string; message?: string }> } | undefined;
    device?.lost?.then((info) => onLost(`${info.reason ?? 'unknown'}: ${info.message ?? ''}`)).catch(() => {});
  } catch {
    /* device not created (no webgpu session yet): nothing to watch */
  }
}

/** Create a CPU tensor. */
export function tensor(type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensor;
export function tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensor;
export function tensor(type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(type, data, dims);
}
