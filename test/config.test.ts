import { describe, expect, it } from 'vitest';
import { adaptersAt, atDepth, compressesAt, configName, resolveConfig } from '../src/config';
import { ConfigError } from '../src/errors';
import { tinyManifest } from './helpers';

const m = tinyManifest(); // 4 layers, exits 2..4, ratios 1/2/4/8

describe('resolveConfig', () => {
  it('defaults to the full model and resolves manifest names', () => {
    expect(resolveConfig(undefined, m)).toEqual({ depth: 4, compress: null });
    expect(resolveConfig('d3-c2-r4', m)).toEqual({ depth: 3, compress: { layers: [2], ratio: 4, mode: 'attention' } });
  });

  it('normalizes: default mode, sorted unique layers, ratio 1 = no compression', () => {
    expect(resolveConfig({ depth: 4, compress: { layers: [4, 2, 2], ratio: 2 } }, m).compress)
      .toEqual({ layers: [2, 4], ratio: 2, mode: 'attention' });
    expect(resolveConfig({ depth: 4, compress: { layers: [2], ratio: 1 } }, m).compress).toBeNull();
  });

  it('lists valid values in every error', () => {
    expect(() => resolveConfig('d9', m)).toThrow(ConfigError);
    expect(() => resolveConfig('d9', m)).toThrow(/valid names: "d2", "d3", "d4"/);
    expect(() => resolveConfig({ depth: 1 }, m)).toThrow(/valid depths: 2, 3, 4/);
    expect(() => resolveConfig({ depth: 4, compress: { layers: [2], ratio: 3 } }, m)).toThrow(/valid ratios: 1, 2, 4, 8/);
    expect(() => resolveConfig({ depth: 3, compress: { layers: [4], ratio: 2 } }, m)).toThrow(/from 2, 3/);
    expect(() => resolveConfig({ depth: 3, compress: { layers: [1], ratio: 2 } }, m)).toThrow(/from 2, 3/);
    expect(() => resolveConfig({ depth: 3, compress: { layers: [], ratio: 2 } }, m)).toThrow(/non-empty/);
    expect(() => resolveConfig({ depth: 3, compress: { layers: [2], ratio: 2, mode: 'max' as 'mean' } }, m)).toThrow(/valid modes: "attention", "mean"/);
    expect(() => resolveConfig(42 as unknown as string, m)).toThrow(/name or \{depth/);
  });
});

describe('per-layer rules', () => {
  it('vertical below full depth, h<r> from the first compressed layer', () => {
    const c = resolveConfig({ depth: 3, compress: { layers: [3, 2], ratio: 4 } }, m);
    expect([1, 2, 3].map((l) => adaptersAt(c, l, 4))).toEqual([['vertical'], ['vertical', 'h4'], ['vertical', 'h4']]);
    const full = resolveConfig({ depth: 4, compress: { layers: [3], ratio: 2 } }, m);
    expect([1, 2, 3, 4].map((l) => adaptersAt(full, l, 4))).toEqual([[], [], ['h2'], ['h2']]);
    expect(adaptersAt(resolveConfig('d4', m), 1, 4)).toEqual([]);
    expect([1, 2, 3, 4].map((l) => compressesAt(full, l))).toEqual([false, false, true, false]);
  });

  it('names configurations like the trainer', () => {
    expect(configName(resolveConfig({ depth: 4, compress: { layers: [2, 4], ratio: 2 } }, m))).toBe('d4-c2-4-r2');
    expect(configName(resolveConfig({ depth: 3, compress: { layers: [3], ratio: 8, mode: 'mean' } }, m))).toBe('d3-c3-r8-mean');
    expect(configName(resolveConfig('d2', m))).toBe('d2');
  });

  it('atDepth keeps the compression layers a shallower direct call would have', () => {
    const c = resolveConfig({ depth: 4, compress: { layers: [2, 4], ratio: 2 } }, m);
    expect(atDepth(c, 3)).toEqual({ depth: 3, compress: { layers: [2], ratio: 2, mode: 'attention' } });
    const late = resolveConfig({ depth: 4, compress: { layers: [4], ratio: 2 } }, m);
    expect(atDepth(late, 3)).toEqual({ depth: 3, compress: null });
    // Same adapters in the shared layers either way.
    for (let l = 1; l <= 3; l++) expect(adaptersAt(atDepth(late, 3), l, 4)).toEqual(adaptersAt({ ...late, depth: 3 }, l, 4));
  });
});
