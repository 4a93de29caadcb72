/**
 * int8 tensors in safetensors (src/safetensors-int8.ts, int8 bundles' adapters): I8 values times
 * their `.scale` (per row or per column), exactly; malformed pairs refused with a BundleError.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BundleError } from '../src/errors';
import { buildSafetensors, float16ToFloat32, float32ToFloat16, parseSafetensors } from '../src/safetensors';

const q = [1, -2, 127, -127, 0, 5]; // [2, 3]
const f16 = (xs: number[]) => Array.from(float16ToFloat32(float32ToFloat16(xs)));

describe('I8 tensors with a .scale', () => {
  it('per row ([rows, 1]) and per column ([1, cols]) give q * scale in float32, exactly', () => {
    const rowScale = f16([0.0123, 3.5e-3]);
    const colScale = f16([0.1, 0.02, 7.7e-4]);
    const t = parseSafetensors(buildSafetensors({
      r: { shape: [2, 3], data: q, dtype: 'I8' }, 'r.scale': { shape: [2, 1], data: rowScale },
      c: { shape: [2, 3], data: q, dtype: 'I8' }, 'c.scale': { shape: [1, 3], data: colScale, dtype: 'F32' },
    }), 'a.safetensors');
    expect([...t.keys()].sort()).toEqual(['c', 'r']); // the scales are consumed
    expect(t.get('r')!.shape).toEqual([2, 3]);
    expect(Array.from(t.get('r')!.data)).toEqual(q.map((v, i) => Math.fround(v * rowScale[Math.floor(i / 3)]!)));
    expect(Array.from(t.get('c')!.data)).toEqual(q.map((v, i) => Math.fround(v * Math.fround(colScale[i % 3]!))));
  });

  const bad = (tensors: Parameters<typeof buildSafetensors>[0], why: RegExp) => {
    const err = (() => { try { parseSafetensors(buildSafetensors(tensors), 'adapters.safetensors'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/adapters\.safetensors is not a valid safetensors file/);
    expect(String(err)).toMatch(why);
    expect(String(err)).toMatch(/re-export the bundle/);
  };

  it('refuses an I8 tensor without its scale', () => bad({ w: { shape: [2, 3], data: q, dtype: 'I8' } }, /I8 tensor "w" has no float tensor "w\.scale"/));
  it('refuses a scale of the wrong shape', () => bad(
    { w: { shape: [2, 3], data: q, dtype: 'I8' }, 'w.scale': { shape: [3, 1], data: [1, 1, 1] } }, /expected \[2, 1\] \(per row\) or \[1, 3\]/));
  it('refuses an I8 scale', () => bad(
    { w: { shape: [2, 3], data: q, dtype: 'I8' }, 'w.scale': { shape: [2, 1], data: [1, 1], dtype: 'I8' } }, /no float tensor "w\.scale"/));
  it('refuses a scale of a float tensor', () => bad(
    { w: { shape: [2, 3], data: q }, 'w.scale': { shape: [2, 1], data: [1, 1] } }, /tensor "w\.scale" scales no I8 tensor/));
  it('refuses a 1-D I8 tensor', () => bad(
    { w: { shape: [6], data: q, dtype: 'I8' }, 'w.scale': { shape: [1, 6], data: q } }, /int8 tensors are 2-D/));

  it('reads the int8 fixture adapters: I8 factors, a scale per rank component', () => {
    const bytes = new Uint8Array(readFileSync('test/fixtures/tiny-int8/adapters.safetensors'));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))))) as
      Record<string, { dtype: string; shape: number[] }>;
    expect(header['vertical.3.ffn_in.a']).toMatchObject({ dtype: 'I8', shape: [32, 4] });
    expect(header['vertical.3.ffn_in.a.scale']).toMatchObject({ dtype: 'F16', shape: [1, 4] });
    expect(header['vertical.3.ffn_in.b.scale']).toMatchObject({ dtype: 'F16', shape: [4, 1] });
    const t = parseSafetensors(bytes, 'adapters.safetensors');
    const a = t.get('vertical.3.ffn_in.a')!;
    expect(a.shape).toEqual([32, 4]);
    expect(a.data.some((x) => x !== 0 && !Number.isInteger(x))).toBe(true); // scaled, not raw integers
  });
});
