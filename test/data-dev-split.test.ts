import { describe, expect, it } from 'vitest';
import { fnv1a32, isDevQuery, querySplitFilter, splitDevTest } from '../tools/data/dev-split';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is C3 A9 in UTF-8: two rounds from the offset basis.
    const byHand = [0xc3, 0xa9].reduce((h, byte) => Math.imul(h ^ byte, 0x01000193) >>> 0, 0x811c9dc5);
    expect(fnv1a32('é')).toBe(byHand);
  });
});

describe('dev split', () => {
  const ids = Array.from({ length: 4000 }, (_, i) => String(i));
  it('puts a query in dev iff its hash is 0 mod 8, about 1/8 of the ids', () => {
    for (const id of ids.slice(0, 200)) expect(isDevQuery(id)).toBe(fnv1a32(id) % 8 === 0);
    const share = ids.filter(isDevQuery).length / ids.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.15);
  });
  it('splits into complementary, order-keeping halves', () => {
    const queries = ids.map((id) => ({ id }));
    const { dev, test } = splitDevTest(queries);
    expect(dev.length + test.length).toBe(ids.length);
    expect(dev.every((q) => isDevQuery(q.id)) && test.every((q) => !isDevQuery(q.id))).toBe(true);
    expect(dev.map((q) => Number(q.id))).toEqual([...dev.map((q) => Number(q.id))].sort((a, b) => a - b));
    expect(ids.filter(querySplitFilter('test'))).toEqual(test.map((q) => q.id));
    expect(ids.filter(querySplitFilter('all'))).toHaveLength(ids.length);
  });
});
