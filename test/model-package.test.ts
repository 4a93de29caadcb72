/**
 * The model as an npm package (models/minilm-l6-scifact/package.json): its generated files match
 * the manifest (scripts/model-package.ts), it ships exactly the files the loader reads, and its
 * export loads in Node (file: URLs into the package) with the bundle's golden scores.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFiles } from '../src/manifest';
import { Engine } from '../src/engine';
import { parseManifest } from '../src/manifest';
import { modelPackageFiles, PACKAGE_FILES } from '../scripts/model-package';
import { readJson, type Golden } from './helpers';

const DIR = 'models/minilm-l6-scifact';

describe.skipIf(!existsSync(join(DIR, 'package.json')))(`model package ${DIR}`, () => {
  it('index.js, index.d.ts and package.json "files" are what scripts/model-package.ts writes from manifest.json', () => {
    const want = modelPackageFiles(DIR);
    for (const [name, text] of Object.entries(want)) {
      expect(readFileSync(join(DIR, name), 'utf8'), `${DIR}/${name} is stale: run node --import tsx scripts/model-package.ts ${DIR}`).toBe(text);
    }
  });

  it('ships manifest.json and exactly the files the loader reads, each present', () => {
    const pkg = readJson(join(DIR, 'package.json')) as { files: string[]; name: string };
    const manifest = parseManifest(readJson(join(DIR, 'manifest.json')));
    expect(pkg.files.sort()).toEqual([...PACKAGE_FILES, 'manifest.json', ...bundleFiles(manifest)].sort());
    for (const f of pkg.files) expect(existsSync(join(DIR, f)), f).toBe(true);
  });

  it('its export is a ModelFiles map that loads in Node and reproduces the golden scores', async () => {
    const { default: model, fileNames } = await import('../models/minilm-l6-scifact/index.js');
    expect(model.name).toBe('@matryoshka-reranker/minilm-l6-scifact');
    expect(fileNames).toContain('layer_06.weights');
    expect(Object.values(model.files).every((u) => u.startsWith('file://'))).toBe(true);
    const g = readJson(join(DIR, 'golden.json')) as Golden;
    const engine = await Engine.create({ model, backend: 'wasm', numThreads: 1 });
    try {
      const c = g.cases[0]!;
      const r = await engine.rank(c.query, c.passages, { config: c.config });
      expect(r.results).toHaveLength(c.passages.length);
      for (const x of r.results) expect(Math.abs(x.score - c.scores[x.index]!)).toBeLessThan(g.tolerance);
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
