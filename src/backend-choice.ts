/**
 * Choosing a backend (WebGPU or WASM) and the default WASM thread count. Free of
 * onnxruntime-web on purpose: the main-thread side of the worker (options validation) imports
 * this, and a bundler must not pull the whole ORT module into the page for it.
 */
import { BackendError, OptionsError, showValue } from './errors';
import type { Backend, BackendInfo } from './types';

export const BACKENDS: readonly Backend[] = ['auto', 'webgpu', 'wasm'];

/** The part of `navigator` this module reads; injectable for tests. */
export interface GpuProbe {
  gpu?: { requestAdapter(): Promise<unknown | null> };
}

function defaultProbe(): GpuProbe {
  return typeof navigator !== 'undefined' ? (navigator as unknown as GpuProbe) : {};
}

/** Validate `requested` and decide the backend. Never throws for `auto`. */
export async function resolveBackend(requested: unknown, probe: GpuProbe = defaultProbe()): Promise<BackendInfo> {
  if (requested !== undefined && !BACKENDS.includes(requested as Backend)) {
    throw new OptionsError(`MatryoshkaReranker: option "backend" must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}, got ${showValue(requested)}`);
  }
  const want = (requested ?? 'auto') as Backend;
  if (want === 'wasm') return { backend: 'wasm', reason: 'WASM requested' };
  let why: string;
  if (!probe.gpu) {
    why = 'navigator.gpu missing (browser without WebGPU, or Node)';
  } else {
    try {
      const adapter = await probe.gpu.requestAdapter();
      if (adapter) return { backend: 'webgpu', reason: want === 'webgpu' ? 'WebGPU requested' : 'WebGPU adapter available' };
      why = 'navigator.gpu.requestAdapter() returned null (no usable GPU or blocklisted driver)';
    } catch (e) {
      why = `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`;
    }
  }
  if (want === 'webgpu') {
    throw new BackendError(`MatryoshkaReranker: backend "webgpu" is not available: ${why}; use backend "auto" or "wasm"`);
  }
  return { backend: 'wasm', reason: `${why}: WebGPU unavailable, using WASM` };
}

/** Default WASM threads: hardwareConcurrency capped at 4, 1 without cross-origin isolation. */
export function defaultThreads(): number {
  const isolated = typeof crossOriginIsolated !== 'undefined' ? crossOriginIsolated : typeof process !== 'undefined';
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  return isolated ? Math.max(1, Math.min(4, cores)) : 1;
}
