/**
 * LoRA adapters: the unmerged factors of adapters.safetensors and their concatenation along
 * the rank axis per (layer, active adapter set), cached so switching configuration costs
 * nothing after the first use.
 */
import { BundleError } from './errors';
import { ADAPTER_TARGETS, type AdapterTarget, type Manifest } from './manifest';
import type { Float32Tensor } from './safetensors';

export interface Factor {
  data: Float32Array;
  dims: [number, number];
}

/** The `lora_<t>_a` / `lora_<t>_b` inputs of one layer graph. */
export type LayerFactors = Record<AdapterTarget, { a: Factor; b: Factor }>;

/** Concatenate A factors [in, r_i] along columns -> [in, Σ r_i]. */
export function concatA(parts: Factor[]): Factor {
  const rows = parts[0]!.dims[0];
  const total = parts.reduce((s, p) => s + p.dims[1], 0);
  const out = new Float32Array(rows * total);
  let col = 0;
  for (const p of parts) {
    if (p.dims[0] !== rows) throw new RangeError(`concatA: row count ${p.dims[0]} != ${rows}`);
    const r = p.dims[1];
    for (let i = 0; i < rows; i++) out.set(p.data.subarray(i * r, (i + 1) * r), i * total + col);
    col += r;
  }
  return { data: out, dims: [rows, total] };
}

/** Stack B factors [r_i, out] along rows -> [Σ r_i, out]. */
export function concatB(parts: Factor[]): Factor {
  const cols = parts[0]!.dims[1];
  const total = parts.reduce((s, p) => s + p.dims[0], 0);
  const out = new Float32Array(total * cols);
  let off = 0;
  for (const p of parts) {
    if (p.dims[1] !== cols) throw new RangeError(`concatB: column count ${p.dims[1]} != ${cols}`);
    out.set(p.data, off);
    off += p.data.length;
  }
  return { data: out, dims: [total, cols] };
}

export class AdapterStore {
  private readonly cache = new Map<string, LayerFactors>();
  private readonly numLayers: number;

  /** Checks every tensor the manifest implies exists with the right shape. */
  constructor(private readonly tensors: Map<string, Float32Tensor>, private readonly manifest: Manifest) {
    this.numLayers = manifest.architecture.numLayers;
    const file = manifest.adapters.file;
    const problems: string[] = [];
    for (const name of manifest.adapters.names) {
      for (let l = 1; l <= this.numLayers; l++) {
        for (const t of ADAPTER_TARGETS) {
          const [din, dout] = manifest.adapters.targets[t];
          const a = tensors.get(`${name}.${l}.${t}.a`);
          const b = tensors.get(`${name}.${l}.${t}.b`);
          if (!a || !b) { problems.push(`${name}.${l}.${t}.${a ? 'b' : 'a'} missing`); continue; }
          if (a.shape.length !== 2 || a.shape[0] !== din || b.shape.length !== 2 || b.shape[1] !== dout || a.shape[1] !== b.shape[0]) {
            problems.push(`${name}.${l}.${t} has shapes a[${a.shape}] b[${b.shape}], expected a[${din},R] b[R,${dout}]`);
          }
        }
      }
    }
    if (problems.length) {
      const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; ... (${problems.length} problems)` : '');
      throw new BundleError(`MatryoshkaReranker: ${file} does not match manifest.json adapters: ${shown}; re-export the bundle with the trainer`);
    }
  }

  private factor(name: string, layer: number, t: AdapterTarget, which: 'a' | 'b'): Factor {
    const x = this.tensors.get(`${name}.${layer}.${t}.${which}`)!;
    return { data: x.data, dims: [x.shape[0]!, x.shape[1]!] };
  }

  /**
   * Factors of `layer` (1-based) with `names` active, concatenated in that order; R = 1 zero
   * tensors when `names` is empty. Cached per (layer, names).
   */
  layer(layer: number, names: readonly string[]): LayerFactors {
    const key = `${layer}:${names.join('+')}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (layer < 1 || layer > this.numLayers) throw new RangeError(`AdapterStore.layer: layer ${layer} out of [1, ${this.numLayers}]`);
    for (const n of names) {
      if (!this.manifest.adapters.names.includes(n)) {
        throw new BundleError(`MatryoshkaReranker: adapter "${n}" is not in the bundle; it has ${this.manifest.adapters.names.join(', ')}`);
      }
    }
    const out = {} as LayerFactors;
    for (const t of ADAPTER_TARGETS) {
      const [din, dout] = this.manifest.adapters.targets[t];
      if (names.length === 0) {
        out[t] = { a: { data: new Float32Array(din), dims: [din, 1] }, b: { data: new Float32Array(dout), dims: [1, dout] } };
      } else {
        out[t] = {
          a: concatA(names.map((n) => this.factor(n, layer, t, 'a'))),
          b: concatB(names.map((n) => this.factor(n, layer, t, 'b'))),
        };
      }
    }
    this.cache.set(key, out);
    return out;
  }
}
