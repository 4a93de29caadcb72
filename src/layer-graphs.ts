/**
 * Which layer graphs a backend runs (docs/bundle-format.md, "int8 layers"). A float16 bundle
 * runs `graphs.layers` / `graphs.plainLayers` everywhere. An int8 bundle runs them (integer
 * kernels) on WASM; on WebGPU, where int8 kernels are slow or wrong on many drivers, it runs
 * `graphs.dequantized`: the same int8 weights (same `layerWeights` files, one download) turned
 * into float matrices at session creation, float compute throughout, checked against
 * golden.json's float `scores`. An int8 bundle without them cannot run on WebGPU.
 */
import type { Manifest } from './manifest';
import type { ResolvedBackend } from './types';

export interface LayerGraphs {
  /** Per layer: the graph with LoRA inputs. */
  layers: string[];
  /** Per layer: its LoRA-free twin, when the bundle has them. */
  plainLayers?: string[];
  /**
   * What the graphs compute: `int8` (integer kernels with run-time activation rounding:
   * golden.json `scoresByPrecision.int8`) or `float` (golden.json `scores`).
   */
  compute: 'float' | 'int8';
}

/** True when `backend` can run `m`'s layers (false only for an int8 bundle without dequantized twins on WebGPU). */
export function canRunLayers(m: Manifest, backend: ResolvedBackend): boolean {
  return m.precision !== 'int8' || backend !== 'webgpu' || m.graphs.dequantized !== undefined;
}

/** The layer graphs `backend` runs for bundle `m`; call only where `canRunLayers` holds. */
export function layerGraphs(m: Manifest, backend: ResolvedBackend): LayerGraphs {
  const g = m.graphs;
  if (m.precision === 'int8' && backend === 'webgpu') {
    const dq = g.dequantized;
    if (!dq) throw new RangeError('layerGraphs: an int8 bundle without graphs.dequantized cannot run on WebGPU (check canRunLayers first)');
    return { layers: dq.layers, ...(dq.plainLayers ? { plainLayers: dq.plainLayers } : {}), compute: 'float' };
  }
  return { layers: g.layers, ...(g.plainLayers ? { plainLayers: g.plainLayers } : {}), compute: m.precision === 'int8' ? 'int8' : 'float' };
}
