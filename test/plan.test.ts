/**
 * The per-layer plan (src/plan.ts): its rules, and agreement with the trainer, whose plans of
 * the golden configurations (SubArch.plan, trainer/mrr/model.py) golden.json carries.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config';
import { Engine } from '../src/engine';
import { BundleError } from '../src/errors';
import { parseManifest } from '../src/manifest';
import { type LayerStep, plan, sharePrefix } from '../src/plan';
import { readJson, TINY, tinyManifest, type Golden } from './helpers';

const m = tinyManifest(); // 4 layers, exits 2..4, ratios 1/2/4/8

const step = (layer: number, adapters: string[], compress: LayerStep['compress'] = null, exits = false): LayerStep => ({ layer, compress, adapters, exits });

describe('plan', () => {
  it('vertical below full depth, h<r> from the first compressed layer', () => {
    const c = resolveConfig({ depth: 3, compress: { layers: [3, 2], ratio: 4 } }, m);
    expect(plan(c, m).map((s) => s.adapters)).toEqual([['vertical'], ['vertical', 'h4'], ['vertical', 'h4']]);
    const full = resolveConfig({ depth: 4, compress: { layers: [3], ratio: 2 } }, m);
    expect(plan(full, m).map((s) => s.adapters)).toEqual([[], [], ['h2'], ['h2']]);
    expect(plan(resolveConfig('d4', m), m)[0]!.adapters).toEqual([]);
    expect(plan(full, m).map((s) => s.compress !== null)).toEqual([false, false, true, false]);
  });

  it('one step per layer; the last one exits', () => {
    expect(plan({ depth: 3, compress: { layers: [2, 3], ratio: 2, mode: 'mean' } }, m)).toEqual([
      step(1, ['vertical']),
      step(2, ['vertical', 'h2'], { ratio: 2, mode: 'mean' }),
      step(3, ['vertical', 'h2'], { ratio: 2, mode: 'mean' }, true),
    ]);
  });

  it('depth 1: a single step that exits', () => {
    const one = { ...m, architecture: { ...m.architecture, numLayers: 1 } };
    expect(plan({ depth: 1 }, one)).toEqual([step(1, [], null, true)]);
    expect(plan({ depth: 1 }, m)).toEqual([step(1, ['vertical'], null, true)]);
  });

  it('compression at the exit layer, ratio 8', () => {
    expect(plan({ depth: 4, compress: { layers: [4], ratio: 8 } }, m)).toEqual([
      step(1, []), step(2, []), step(3, []), step(4, ['h8'], { ratio: 8, mode: 'attention' }, true),
    ]);
    expect(plan({ depth: 2, compress: { layers: [2], ratio: 8, mode: 'mean' } }, m)).toEqual([
      step(1, ['vertical']), step(2, ['vertical', 'h8'], { ratio: 8, mode: 'mean' }, true),
    ]);
  });

  it('ratio 1 or no layers is no compression', () => {
    const none = plan({ depth: 3 }, m);
    expect(plan({ depth: 3, compress: { layers: [2], ratio: 1 } }, m)).toEqual(none);
    expect(plan({ depth: 3, compress: { layers: [], ratio: 4 } }, m)).toEqual(none);
    expect(none.every((s) => s.compress === null && s.adapters.join() === 'vertical')).toBe(true);
  });

  it('sharePrefix: layers run alike (exits aside)', () => {
    const d2 = plan({ depth: 2, compress: { layers: [2], ratio: 2 } }, m);
    const d3 = plan({ depth: 3, compress: { layers: [2, 3], ratio: 2 } }, m);
    expect(sharePrefix(d2, d3, 2)).toBe(true);
    expect(sharePrefix(d2, plan({ depth: 4, compress: { layers: [2], ratio: 2 } }, m), 2)).toBe(false); // no vertical at full depth
    expect(sharePrefix(d2, plan({ depth: 3, compress: { layers: [2], ratio: 4 } }, m), 2)).toBe(false);
    expect(sharePrefix(d2, plan({ depth: 3, compress: { layers: [2], ratio: 2, mode: 'mean' } }, m), 2)).toBe(false);
    expect(sharePrefix(d2, d3, 3)).toBe(false);
  });
});

const REAL = 'models/minilm-l6-scifact';
describe.each([TINY, ...(existsSync(`${REAL}/golden.json`) ? [REAL] : [])])('golden plans of %s', (dir) => {
  it('plan(config, manifest) equals the trainer\'s plan of every golden configuration', () => {
    const manifest = parseManifest(readJson(`${dir}/manifest.json`));
    const golden = readJson(`${dir}/golden.json`) as Golden;
    expect(golden.cases.length).toBeGreaterThanOrEqual(10);
    for (const c of golden.cases) {
      expect(c.plan, c.name).toBeDefined();
      expect(plan(resolveConfig(c.config, manifest), manifest), c.name).toEqual(c.plan);
    }
  });
});

describe('a golden plan this runtime disagrees with', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mrr-plan-'));
    cpSync(TINY, dir, { recursive: true });
    const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
    const c = golden.cases.find((x) => x.name === 'd3')!;
    c.plan = c.plan!.map((s) => ({ ...s, adapters: [] })); // as if the trainer ran d3 without its vertical adapter
    writeFileSync(join(dir, 'golden.json'), JSON.stringify(golden));
    execFileSync(process.execPath, ['scripts/hash-bundle.mjs', dir]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused at load, naming the case; the same file without plans loads', async () => {
    const err = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(String(err)).toMatch(/golden\.json cases\[\d+\] plans configuration d3 as .*disagree on what runs at each layer/);
    const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
    for (const c of golden.cases) delete c.plan;
    writeFileSync(join(dir, 'golden.json'), JSON.stringify(golden));
    execFileSync(process.execPath, ['scripts/hash-bundle.mjs', dir]);
    const engine = await Engine.create({ model: dir, backend: 'wasm', numThreads: 1, progressiveLoad: false });
    try {
      expect((await engine.rank('q', ['p'], { config: 'd3' })).results).toHaveLength(1);
    } finally {
      await engine.dispose();
    }
  });
});
