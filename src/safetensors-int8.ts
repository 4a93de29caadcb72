/**
 * int8 tensors of a bundle's safetensors (docs/bundle-format.md, "adapters.safetensors"): a
 * tensor `X` stored as I8 comes with a float tensor `X.scale` (F16 or F32) of shape `[rows, 1]`
 * (one scale per row) or `[1, cols]` (one per column) for `X` `[rows, cols]`; the value is
 * `X * X.scale`, computed once at load in float32 (exactly what the trainer's PyTorch model holds:
 * the product of an 8-bit integer and a float16 scale needs no rounding).
 */
import type { Float32Tensor } from './safetensors';

/** A decoded tensor with the dtype it was stored as (I8 values are the integers, as floats). */
export interface StoredTensor extends Float32Tensor {
  dtype: string;
}

export const SCALE_SUFFIX = '.scale';

/**
 * Replace every I8 tensor by its float32 value and drop the `.scale` tensors. `fail(why)` makes
 * the error to throw (a BundleError naming the file).
 */
export function dequantizeInt8(tensors: Map<string, StoredTensor>, fail: (why: string) => Error): Map<string, Float32Tensor> {
  const out = new Map<string, Float32Tensor>();
  for (const [name, t] of tensors) {
    if (name.endsWith(SCALE_SUFFIX)) {
      const base = tensors.get(name.slice(0, -SCALE_SUFFIX.length));
      if (!base || base.dtype !== 'I8') throw fail(`tensor "${name}" scales no I8 tensor`);
      continue;
    }
    if (t.dtype !== 'I8') {
      out.set(name, { shape: t.shape, data: t.data });
      continue;
    }
    const scale = tensors.get(name + SCALE_SUFFIX);
    if (!scale || scale.dtype === 'I8') throw fail(`I8 tensor "${name}" has no float tensor "${name}${SCALE_SUFFIX}"`);
    out.set(name, { shape: t.shape, data: scaled(name, t, scale, fail) });
  }
  return out;
}

function scaled(name: string, t: StoredTensor, scale: StoredTensor, fail: (why: string) => Error): Float32Array {
  if (t.shape.length !== 2) throw fail(`I8 tensor "${name}" has shape [${t.shape}]; int8 tensors are 2-D`);
  const [rows, cols] = t.shape as [number, number];
  const [sr, sc] = scale.shape;
  const perRow = scale.shape.length === 2 && sr === rows && sc === 1;
  const perCol = scale.shape.length === 2 && sr === 1 && sc === cols;
  if (!perRow && !perCol) {
    throw fail(`scale "${name}${SCALE_SUFFIX}" has shape [${scale.shape}], expected [${rows}, 1] (per row) or [1, ${cols}] (per column)`);
  }
  const out = new Float32Array(rows * cols);
  const s = scale.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = t.data[i * cols + j]! * s[perRow ? i : j]!;
  }
  return out;
}
