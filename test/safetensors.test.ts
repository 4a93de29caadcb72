import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BundleError } from '../src/errors';
import { buildSafetensors, float16ToFloat32, float32ToFloat16, parseSafetensors } from '../src/safetensors';

describe('float16 decode', () => {
  it('decodes normal, subnormal, signed zero, inf and NaN exactly', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]);
    const f = float16ToFloat32(bits);
    expect(Array.from(f.slice(0, 5))).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14]);
    expect(Object.is(f[5], -0)).toBe(true);
    expect(f[6]).toBe(Infinity);
    expect(f[7]).toBe(-Infinity);
    expect(Number.isNaN(f[8])).toBe(true);
    expect(f[9]).toBeCloseTo(0.33325, 5);
  });

  it('round-trips every finite float16 through float32', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!isNaN16) expect(back[i]).toBe(i);
    }
  });
});

describe('parseSafetensors', () => {
  it('parses what buildSafetensors writes (F16 and F32)', () => {
    const data = [0.5, -1.25, 3, 1024];
    for (const dtype of ['F16', 'F32'] as const) {
      const t = parseSafetensors(buildSafetensors({ 'x.a': { shape: [2, 2], data } }, dtype), 'x.safetensors');
      expect(t.get('x.a')!.shape).toEqual([2, 2]);
      expect(Array.from(t.get('x.a')!.data)).toEqual(data);
    }
  });

  it('names the file and the problem on corrupt input', () => {
    expect(() => parseSafetensors(new Uint8Array(3), 'a.safetensors')).toThrow(BundleError);
    const good = buildSafetensors({ w: { shape: [4], data: [1, 2, 3, 4] } });
    expect(() => parseSafetensors(good.slice(0, good.length - 2), 'a.safetensors')).toThrow(/a\.safetensors.*offsets/);
    const badHeader = good.slice();
    badHeader[8] = 0x7b + 1; // break the JSON
    expect(() => parseSafetensors(badHeader, 'a.safetensors')).toThrow(/not JSON/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => parseSafetensors(huge, 'a.safetensors')).toThrow(/header length/);
  });

  it('rejects unsupported dtypes', () => {
    const json = JSON.stringify({ w: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } });
    const bytes = new Uint8Array(8 + json.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(new TextEncoder().encode(json), 8);
    expect(() => parseSafetensors(bytes, 'w.safetensors')).toThrow(/dtype I32/);
  });

  it('reads the fixture adapters (float16, [in,R] / [R,out])', () => {
    const t = parseSafetensors(new Uint8Array(readFileSync('test/fixtures/tiny/adapters.safetensors')), 'adapters.safetensors');
    const a = t.get('vertical.3.ffn_in.a')!;
    const b = t.get('vertical.3.ffn_in.b')!;
    expect(a.shape).toEqual([32, 4]);
    expect(b.shape).toEqual([4, 64]);
    expect(a.data.every(Number.isFinite)).toBe(true);
    expect(b.data.some((x) => x !== 0)).toBe(true);
  });
});
