/**
 * Compression plan: the `group` / `slots` inputs of compress.onnx, built on the CPU from each
 * row's query and passage lengths (docs/bundle-format.md, "Compression").
 */

export interface MergePlan {
  /** [B*T] output slot of every token (float), -1 for padding. */
  group: Float32Array;
  /** [Tout] = 0..Tout-1 as floats. */
  slots: Float32Array;
  /** Passage lengths after merging: ceil(pLen / ratio). */
  pLens: Int32Array;
  /** Batch length after merging: the longest new row. */
  tOut: number;
}

/** Row length for the layout `[CLS] q [SEP] p [SEP]`. */
export const rowLength = (qLen: number, pLen: number): number => qLen + pLen + 3;

/**
 * `T` is the current padded batch length; `qLens`/`pLens` are per row (tokens, no specials).
 */
export function mergePlan(qLens: ArrayLike<number>, pLens: ArrayLike<number>, T: number, ratio: number): MergePlan {
  if (!Number.isInteger(ratio) || ratio < 1) throw new RangeError(`mergePlan: ratio must be a positive integer, got ${ratio}`);
  const B = qLens.length;
  const group = new Float32Array(B * T);
  const newP = new Int32Array(B);
  let tOut = 0;
  for (let b = 0; b < B; b++) {
    const q = qLens[b]!;
    const p = pLens[b]!;
    if (rowLength(q, p) > T) throw new RangeError(`mergePlan: row ${b} (length ${rowLength(q, p)}) does not fit T=${T}`);
    const start = q + 2;
    const np = Math.ceil(p / ratio);
    newP[b] = np;
    tOut = Math.max(tOut, rowLength(q, np));
    const row = b * T;
    for (let j = 0; j < T; j++) {
      let g: number;
      if (j < start) g = j;
      else if (j < start + p) g = start + Math.floor((j - start) / ratio);
      else if (j === start + p) g = start + np;
      else g = -1;
      group[row + j] = g;
    }
  }
  const slots = new Float32Array(tOut);
  for (let s = 0; s < tOut; s++) slots[s] = s;
  return { group, slots, pLens: newP, tOut };
}

/** [B*T] attention mask: 1 below each row's length. */
export function lengthsMask(lengths: ArrayLike<number>, T: number): Float32Array {
  const mask = new Float32Array(lengths.length * T);
  for (let b = 0; b < lengths.length; b++) mask.fill(1, b * T, b * T + Math.min(T, lengths[b]!));
  return mask;
}
