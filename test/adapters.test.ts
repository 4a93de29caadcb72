import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdapterStore, concatA, concatB, type Factor } from '../src/adapters';
import { BundleError } from '../src/errors';
import { parseSafetensors } from '../src/safetensors';
import { tinyManifest } from './helpers';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97 + i * 13.1));
const matmul = (x: Float32Array, a: Factor, n: number): Float32Array => {
  const [k, m] = a.dims;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += x[i * k + t]! * a.data[t * m + j]!;
    out[i * m + j] = s;
  }
  return out;
};

describe('rank concatenation', () => {
  it('x @ [A1|A2] @ [B1;B2] equals the sum of the two deltas', () => {
    const din = 5, dout = 3, n = 2;
    const a1: Factor = { data: rand(din * 2, 1), dims: [din, 2] };
    const a2: Factor = { data: rand(din * 3, 2), dims: [din, 3] };
    const b1: Factor = { data: rand(2 * dout, 3), dims: [2, dout] };
    const b2: Factor = { data: rand(3 * dout, 4), dims: [3, dout] };
    const x = rand(n * din, 5);
    const a = concatA([a1, a2]);
    const b = concatB([b1, b2]);
    expect(a.dims).toEqual([din, 5]);
    expect(b.dims).toEqual([5, dout]);
    const both = matmul(matmul(x, a, n), b, n);
    const d1 = matmul(matmul(x, a1, n), b1, n);
    const d2 = matmul(matmul(x, a2, n), b2, n);
    both.forEach((v, i) => expect(v).toBeCloseTo(d1[i]! + d2[i]!, 5));
  });
});

describe('AdapterStore', () => {
  const m = tinyManifest();
  const tensors = parseSafetensors(new Uint8Array(readFileSync('test/fixtures/tiny/adapters.safetensors')), 'adapters.safetensors');

  it('concatenates active adapters per layer and caches the result', () => {
    const store = new AdapterStore(tensors, m);
    const f = store.layer(3, ['vertical', 'h4']);
    expect(f.q.a.dims).toEqual([32, 8]);
    expect(f.ffn_in.b.dims).toEqual([8, 64]);
    expect(f.ffn_out.a.dims).toEqual([64, 8]);
    const va = tensors.get('vertical.3.q.a')!.data;
    const ha = tensors.get('h4.3.q.a')!.data;
    expect(Array.from(f.q.a.data.slice(0, 8))).toEqual([...va.slice(0, 4), ...ha.slice(0, 4)]);
    const hb = tensors.get('h4.3.o.b')!.data;
    expect(Array.from(f.o.b.data.slice(4 * 32))).toEqual(Array.from(hb));
    expect(store.layer(3, ['vertical', 'h4'])).toBe(f);
  });

  it('feeds R = 1 zero factors when no adapter is active', () => {
    const f = new AdapterStore(tensors, m).layer(1, []);
    expect(f.k.a.dims).toEqual([32, 1]);
    expect(f.ffn_out.b.dims).toEqual([1, 32]);
    expect(f.ffn_in.a.data.every((x) => x === 0) && f.ffn_in.b.data.every((x) => x === 0)).toBe(true);
  });

  it('reports missing or misshapen tensors by name', () => {
    const broken = new Map(tensors);
    broken.delete('h8.2.v.b');
    expect(() => new AdapterStore(broken, m)).toThrow(BundleError);
    expect(() => new AdapterStore(broken, m)).toThrow(/h8\.2\.v\.b missing/);
    const store = new AdapterStore(tensors, m);
    expect(() => store.layer(2, ['h16'])).toThrow(/adapter "h16" is not in the bundle/);
  });
});
