import { describe, expect, it } from 'vitest';
import { atDepth, configName, resolveConfig } from '../src/config';
import { plan } from '../src/plan';
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

describe('names and depths', () => {
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
    for (let l = 1; l <= 3; l++) expect(plan(atDepth(late, 3), m)[l - 1]!.adapters).toEqual(plan({ ...late, depth: 3 }, m)[l - 1]!.adapters);
  });
});
