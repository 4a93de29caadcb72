/**
 * LoRA merged into the int8 weights (docs/bundle-format.md, "int8 layers"; the reference is
 * trainer/mrr/int8_merge.py). On WASM an int8 bundle's layer with adapters does not run the
 * float LoRA products beside the integer kernels: the products made each such layer 1.12-1.15x
 * its LoRA-free twin. Instead the layer's active adapters are added to each int8 weight once,
 * rounded back onto the weight's own per-column grid,
 *
 *     q' = clip(round(q + (A @ B) / s), -127, 127)        q [in, out] int8, s [out], A [in, R], B [R, out]
 *
 * and the LoRA-free twin runs on a copy of the layer's weights file holding q' (and, for
 * ffn_out, its recomputed row-shift bias -rowShift * sum_i q'[i, j] * s[j]).
 *
 * The adapters stay unmerged in the bundle: switching configuration needs no reload. A
 * (layer, adapter set) gets its session on first use, or ahead of it once the bundle is loaded
 * (`prepare`, in the background, yielding to calls), and keeps it; there
 * are at most numLayers x the adapter sets plans use (src/plan.ts: `vertical`, `h<r>`,
 * `vertical+h<r>`), each about one layer's int8 weights.
 */
import type { AdapterStore, Factor } from './adapters';
import type { Ort, OrtSession } from './backend';
import { BundleError } from './errors';
import { ADAPTER_TARGETS, type AdapterTarget, type Int8MatrixLayout, type Manifest } from './manifest';
import { checkExitHead, checkSessionIo, createSession, layerIo } from './ort-sessions';
import { plan } from './plan';
import type { ResolvedBackend } from './types';

const QMAX = 127;

/** numpy's `round` (half to even), which the trainer's reference uses. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Merge `a @ b` into the int8 matrix `q` ([rows, cols], row-major) with per-column scales `s`:
 * returns the new int8 matrix. `a` is [rows, R], `b` [R, cols].
 */
export function mergeInt8(q: Int8Array, s: Float32Array, a: Factor, b: Factor): Int8Array {
  const [rows, R] = a.dims;
  const cols = s.length;
  if (q.length !== rows * cols || b.dims[0] !== R || b.dims[1] !== cols) {
    throw new RangeError(`mergeInt8: shapes q ${q.length}, s [${cols}], a [${a.dims}], b [${b.dims}] do not agree`);
  }
  const out = new Int8Array(q.length);
  const delta = new Float32Array(cols);
  const inv = Float32Array.from(s, (x) => 1 / x);
  for (let i = 0; i < rows; i++) {
    delta.fill(0);
    for (let r = 0; r < R; r++) {
      const air = a.data[i * R + r]!;
      if (air === 0) continue;
      const br = r * cols;
      for (let j = 0; j < cols; j++) delta[j]! += air * b.data[br + j]!;
    }
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = roundHalfEven(q[o + j]! + delta[j]! * inv[j]!);
      out[o + j] = v > QMAX ? QMAX : v < -QMAX ? -QMAX : v;
    }
  }
  return out;
}

/** ffn_out's shift correction for int8 weights `q` ([rows, cols]) with scales `s`: -shift * colsum(q * s). */
export function rowBias(q: Int8Array, s: Float32Array, shift: number): Float32Array {
  const cols = s.length;
  const sums = new Float64Array(cols);
  for (let o = 0; o < q.length; o += cols) for (let j = 0; j < cols; j++) sums[j]! += q[o + j]!;
  return Float32Array.from(sums, (x, j) => -shift * x * s[j]!);
}

/** A copy of a layer's weights file with `factors` merged into its int8 matrices (`layout` says where). */
export function mergedWeights(weights: Uint8Array, layout: Int8MatrixLayout, factors: Record<AdapterTarget, { a: Factor; b: Factor }>): Uint8Array {
  const out = weights.slice();
  const view = (span: [number, number]) => {
    const [off, len] = span;
    if (off < 0 || len < 0 || off + len > weights.length) throw new BundleError(`MatryoshkaReranker: graphs.int8Matrices points past the end of a weights file (${off}+${len} > ${weights.length}); re-export the bundle with the trainer`);
    return out.subarray(off, off + len);
  };
  const floats = (span: [number, number]) => {
    const b = view(span);
    const f = new Float32Array(span[1] / 4);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < f.length; i++) f[i] = dv.getFloat32(i * 4, true);
    return f;
  };
  for (const t of ADAPTER_TARGETS) {
    const m = layout.matrices[t];
    const wBytes = view(m.weight);
    const q = new Int8Array(wBytes.buffer, wBytes.byteOffset, wBytes.byteLength);
    const s = floats(m.scale);
    const merged = mergeInt8(q, s, factors[t].a, factors[t].b);
    q.set(merged);
    if (m.rowBias) {
      const rb = view(m.rowBias);
      const dv = new DataView(rb.buffer, rb.byteOffset, rb.byteLength);
      rowBias(merged, s, layout.rowShift).forEach((x, i) => dv.setFloat32(i * 4, x, true));
    }
  }
  return out;
}

/** The cache key of a (layer, adapter set). */
function setKey(layer: number, names: readonly string[]): string {
  return `${layer}:${names.join('+')}`;
}

/** Sessions of LoRA-free int8 layer graphs with adapters merged into their weights, per (layer, adapter set). */
export class MergedLayers {
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  private disposed = false;

  constructor(
    private readonly ort: Ort, private readonly manifest: Manifest, private readonly backend: ResolvedBackend,
    private readonly adapters: AdapterStore, private readonly file: (name: string) => Promise<Uint8Array>,
  ) {}

  /** True when bundle `m` on `backend` runs its adapters merged (int8 on WASM, with plain twins and `int8Matrices`). */
  static applies(m: Manifest, backend: ResolvedBackend): boolean {
    const g = m.graphs;
    return m.precision === 'int8' && backend === 'wasm' && !!g.int8Matrices && !!g.plainLayers && !!g.layerWeights;
  }

  /** The session of `layer` (1-based) with `names` merged in; made on first use, then kept. */
  session(layer: number, names: readonly string[]): Promise<OrtSession> {
    if (this.disposed) return Promise.reject(new RangeError('MergedLayers: disposed'));
    const key = setKey(layer, names);
    let s = this.sessions.get(key);
    if (!s) {
      s = this.create(layer, names);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  private async create(layer: number, names: readonly string[]): Promise<OrtSession> {
    const g = this.manifest.graphs;
    const file = g.plainLayers![layer - 1]!;
    const weightsFile = g.layerWeights![layer - 1]!;
    const layout = g.int8Matrices![layer - 1]!;
    const [graph, weights] = await Promise.all([this.file(file), this.file(weightsFile)]);
    const data = mergedWeights(weights, layout, this.adapters.layer(layer, names));
    const io = layerIo(layer, this.manifest, true);
    const s = await createSession(this.ort, graph, `${file} (+${names.join('+')})`, this.backend, io, [{ path: weightsFile, data }]);
    if (this.disposed) {
      await s.release().catch(() => {});
      throw new RangeError('MergedLayers: disposed');
    }
    checkSessionIo(s, file, io.inputs, io.outputs);
    checkExitHead(s, file, layer, this.manifest);
    return s;
  }

  /**
   * Make, one after another, the sessions every configuration of the manifest needs, waiting
   * for `idle()` before each (calls go first); stops at dispose. Errors are left for first use.
   */
  async prepare(idle: () => Promise<void>): Promise<void> {
    const wanted = new Map<string, { layer: number; names: string[] }>();
    for (const c of this.manifest.configurations) {
      for (const step of plan({ depth: c.depth, compress: c.compress ?? null }, this.manifest)) {
        if (step.adapters.length) wanted.set(setKey(step.layer, step.adapters), { layer: step.layer, names: step.adapters });
      }
    }
    for (const { layer, names } of wanted.values()) {
      await idle();
      if (this.disposed) return;
      await this.session(layer, names).catch(() => {}); // made once: a set used first by a call is already there
    }
  }

  /** Release every session made. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => {})));
  }
}
