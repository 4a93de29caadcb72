/** The benchmark report's machine description, as a browser page can tell it. */
import type { MachineInfo } from '../machine';

interface NavigatorExtras {
  deviceMemory?: number;
  userAgentData?: { platform?: string; brands?: { brand: string; version: string }[] };
}

/** `gpu`: the WebGPU adapter's description when the run uses WebGPU; `threads`: WASM threads in use. */
export function describeBrowserMachine(gpu?: string, threads?: number): MachineInfo & { gpu?: string } {
  const nav = navigator as Navigator & NavigatorExtras;
  const brands = nav.userAgentData?.brands?.filter((b) => !/not.?a.?brand/i.test(b.brand)) ?? [];
  const browser = brands.length > 0 ? brands.map((b) => `${b.brand} ${b.version}`).join(', ') : nav.userAgent;
  return {
    cpu: 'unknown (not exposed to pages)',
    cores: nav.hardwareConcurrency ?? 1,
    memoryGiB: nav.deviceMemory ?? Number.NaN,
    os: nav.userAgentData?.platform ?? nav.platform,
    runtime: `${browser}${self.crossOriginIsolated ? ', cross-origin isolated' : ''}${threads ? `, ${threads} WASM thread(s)` : ''}`,
    ...(gpu ? { gpu } : {}),
  };
}

/** "vendor architecture (description)" of the WebGPU adapter, or undefined without one. */
export async function describeGpu(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return undefined;
  const i = adapter.info ?? {};
  return [i.vendor, i.architecture, i.description ? `(${i.description})` : ''].filter(Boolean).join(' ') || 'WebGPU adapter';
}
