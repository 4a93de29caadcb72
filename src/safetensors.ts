/**
 * Minimal safetensors reader (https://github.com/huggingface/safetensors): 8-byte little-endian
 * header length, JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`, then data.
 * float16 and float32 tensors are decoded to Float32Array; int8 ones (I8, with a `.scale` tensor)
 * are multiplied out to float32 (src/safetensors-int8.ts).
 */
import { BundleError } from './errors';
import { dequantizeInt8, type StoredTensor } from './safetensors-int8';

export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<string, number> = { F16: 2, F32: 4, I8: 1 };

// Lookup tables for the exponent/mantissa of float16 -> float32 (exact, incl. subnormals, inf, NaN).
const F16_TABLE = /* @__PURE__ */ (() => {
  const out = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24; // subnormal: frac/1024 * 2^-14
    else if (exp === 31) v = frac === 0 ? Infinity : NaN;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    out[h] = sign * v;
  }
  return out;
})();

/** Decode little-endian IEEE float16 values to float32. */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = F16_TABLE[src[i]!]!;
  return out;
}

/** Encode float32 -> float16 bits (round to nearest even). Used by tests and fixtures. */
export function float32ToFloat16(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    const e = exp - 127 + 15;
    if (e >= 31) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    out[i] = sign | half;
  }
  return out;
}

/**
 * Parse a safetensors file. `file` names it in errors. Every tensor is decoded to float32 (I8
 * ones times their `.scale`, which are not returned); dtypes other than F16/F32/I8 are rejected.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, Float32Tensor> {
  const fail = (why: string) =>
    new BundleError(`MatryoshkaReranker: ${file} is not a valid safetensors file (${why}); re-export the bundle with the trainer`);
  if (bytes.byteLength < 8) throw fail(`only ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.byteLength) throw fail(`header length ${headerLen} exceeds file size ${bytes.byteLength}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw fail(`header is not JSON: ${(e as Error).message}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const out = new Map<string, StoredTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as Partial<HeaderEntry>;
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw fail(`entry "${name}" lacks shape/data_offsets`);
    }
    const size = BYTES[entry.dtype ?? ''];
    if (size === undefined) throw fail(`tensor "${name}" has dtype ${entry.dtype}; only F16, F32 and I8 (with a .scale tensor) are supported`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (typeof begin !== 'number' || typeof end !== 'number' || begin < 0 || end > dataLen || end - begin !== count * size) {
      throw fail(`tensor "${name}" offsets [${begin}, ${end}] do not match shape [${entry.shape}] x ${size} bytes within ${dataLen} data bytes`);
    }
    // Copy so the view is aligned whatever the header length was.
    const chunk = bytes.slice(dataStart + begin, dataStart + end);
    const data = entry.dtype === 'F16'
      ? float16ToFloat32(new Uint16Array(chunk.buffer, 0, count))
      : entry.dtype === 'I8' ? Float32Array.from(new Int8Array(chunk.buffer, 0, count)) : new Float32Array(chunk.buffer, 0, count);
    out.set(name, { shape: entry.shape.slice(), data, dtype: entry.dtype! });
  }
  return dequantizeInt8(out, fail);
}

type BuildDtype = 'F16' | 'F32' | 'I8';

function encode(data: ArrayLike<number>, dtype: BuildDtype): Uint8Array {
  if (dtype === 'F16') return new Uint8Array(float32ToFloat16(data).buffer);
  if (dtype === 'I8') return new Uint8Array(Int8Array.from(data).buffer);
  return new Uint8Array(Float32Array.from(data).buffer);
}

/**
 * Build a safetensors file (F16 by default; a tensor's own `dtype` overrides it). Used by tests
 * to make fixtures without Python.
 */
export function buildSafetensors(
  tensors: Record<string, { shape: number[]; data: ArrayLike<number>; dtype?: BuildDtype }>, dtype: BuildDtype = 'F16',
): Uint8Array {
  const header: Record<string, HeaderEntry> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const raw = encode(t.data, t.dtype ?? dtype);
    header[name] = { dtype: t.dtype ?? dtype, shape: t.shape, data_offsets: [offset, offset + raw.byteLength] };
    chunks.push(raw);
    offset += raw.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.byteLength;
  for (const c of chunks) { out.set(c, p); p += c.byteLength; }
  return out;
}
