/**
 * Choosing a backend (WebGPU or WASM) and the default WASM thread count. Free of
 * onnxruntime-web on purpose: the main-thread side of the worker (options validation) imports
 * this, and a bundler must not pull the whole ORT module into the page for it.
 *
 * `auto` never trusts an adapter by its existence alone:
 * - a software (fallback) adapter such as SwiftShader, llvmpipe or WARP is skipped: it is
 *   tens of times slower than WASM (unless `allowSoftwareAdapter` asks to consider it);
 * - a real adapter makes WebGPU a *candidate*: the engine then checks it against the bundle's
 *   golden scores (src/canary.ts) and times it against WASM on a probe, and the faster wins.
 * Explicit `webgpu` uses any adapter, software or not, without the measurement.
 */
import { BackendError, OptionsError, showValue } from './errors';
import type { AdapterSummary, Backend, BackendInfo } from './types';

export const BACKENDS: readonly Backend[] = ['auto', 'webgpu', 'wasm'];

/** The part of `navigator` this module reads; injectable for tests. */
export interface GpuProbe {
  gpu?: { requestAdapter(): Promise<unknown | null> };
}

/** The backend to start with, and whether the engine must still measure it before trusting it. */
export interface BackendChoice extends BackendInfo {
  /** `auto` with a usable adapter: the canary and the timing probe decide (src/engine.ts). */
  measure: boolean;
}

function defaultProbe(): GpuProbe {
  return typeof navigator !== 'undefined' ? (navigator as unknown as GpuProbe) : {};
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render|software/i;

/** What an adapter says about itself (GPUAdapter.info, or the older `isFallbackAdapter` field). */
export function describeAdapter(adapter: unknown): AdapterSummary {
  const a = adapter as { info?: Record<string, unknown>; isFallbackAdapter?: unknown } | null;
  const info = (a?.info ?? {}) as Record<string, unknown>;
  const str = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const vendor = str('vendor');
  const architecture = str('architecture');
  const device = str('device');
  const description = str('description');
  const flagged = info.isFallbackAdapter === true || a?.isFallbackAdapter === true;
  const software = flagged || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, isFallbackAdapter: software };
}

/** One line naming an adapter, e.g. `google swiftshader (fallback)`. */
export function adapterLabel(a: AdapterSummary): string {
  const name = [a.vendor, a.architecture, a.device || a.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return a.isFallbackAdapter ? `${name} (software fallback)` : name;
}

export interface ResolveOptions {
  /** Let `auto` consider a software adapter (then measured like a real one). Default false. */
  allowSoftwareAdapter?: boolean;
}

/** Validate `requested` and decide the backend to start with. Never throws for `auto`. */
export async function resolveBackend(requested: unknown, probe: GpuProbe = defaultProbe(), opts: ResolveOptions = {}): Promise<BackendChoice> {
  if (requested !== undefined && !BACKENDS.includes(requested as Backend)) {
    throw new OptionsError(`MatryoshkaReranker: option "backend" must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}, got ${showValue(requested)}`);
  }
  const want = (requested ?? 'auto') as Backend;
  if (want === 'wasm') return { backend: 'wasm', reason: 'WASM requested', measure: false };
  let why: string;
  if (!probe.gpu) {
    why = 'navigator.gpu missing (browser without WebGPU, or Node)';
  } else {
    try {
      const raw = await probe.gpu.requestAdapter();
      if (raw) {
        const adapter = describeAdapter(raw);
        if (want === 'webgpu') return { backend: 'webgpu', reason: `WebGPU requested (adapter: ${adapterLabel(adapter)})`, adapter, measure: false };
        if (!adapter.isFallbackAdapter || opts.allowSoftwareAdapter) {
          return { backend: 'webgpu', reason: `WebGPU adapter ${adapterLabel(adapter)}: to be measured against WASM`, adapter, measure: true };
        }
        return {
          backend: 'wasm',
          reason: `the only WebGPU adapter is a software fallback (${adapterLabel(adapter)}), far slower than WASM: using WASM`,
          adapter, measure: false,
        };
      }
      why = 'navigator.gpu.requestAdapter() returned null (no usable GPU or blocklisted driver)';
    } catch (e) {
      why = `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`;
    }
  }
  if (want === 'webgpu') {
    throw new BackendError(`MatryoshkaReranker: backend "webgpu" is not available: ${why}; use backend "auto" or "wasm"`);
  }
  return { backend: 'wasm', reason: `${why}: WebGPU unavailable, using WASM`, measure: false };
}

/** Default WASM threads: hardwareConcurrency capped at 4, 1 without cross-origin isolation. */
export function defaultThreads(): number {
  const isolated = typeof crossOriginIsolated !== 'undefined' ? crossOriginIsolated : typeof process !== 'undefined';
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  return isolated ? Math.max(1, Math.min(4, cores)) : 1;
}
