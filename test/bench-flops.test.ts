import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataFlopsRatio, pairFlops } from '../bench/flops';
import type { Manifest } from '../src/manifest';

const manifest = JSON.parse(readFileSync(new URL('../models/minilm-l6-scifact/manifest.json', import.meta.url), 'utf8')) as Manifest;
const model = manifest.architecture;
const ref = manifest.flopsReference!;
const shape = (qLen: number, pLens: number[]) => ({ qLen, lengths: pLens.map((p) => qLen + p + 3), limits: { batchSize: 16, maxBatchTokens: 8192 } });

describe('bench/flops: FLOPs on the rows a call ran', () => {
  it('matches the trainer\'s flopsRatio of every configuration at the manifest\'s reference length', () => {
    expect(manifest.configurations.length).toBeGreaterThan(40);
    for (const c of manifest.configurations) {
      expect(dataFlopsRatio(c, model, [shape(ref.qLen, [ref.pLen])]), c.name).toBeCloseTo(c.flopsRatio, 4);
    }
  });

  it('weighs each pair by its own cost, and longer queries make compression save less', () => {
    const c = { depth: 6, compress: { ratio: 8, layers: [3, 4, 5, 6] } };
    const short = dataFlopsRatio(c, model, [shape(16, [192])]);
    const long = dataFlopsRatio(c, model, [shape(60, [120])]);
    expect(long).toBeGreaterThan(short + 0.05);
    const mixed = dataFlopsRatio(c, model, [shape(16, [192]), shape(60, [120, 120])]);
    const num = pairFlops(c, model, 16, 192) + 2 * pairFlops(c, model, 60, 120);
    const den = pairFlops({ depth: 6 }, model, 16, 192) + 2 * pairFlops({ depth: 6 }, model, 60, 120);
    expect(mixed).toBeCloseTo(num / den, 12);
    expect(dataFlopsRatio({ depth: 6 }, model, [shape(30, [10, 200])])).toBe(1);
    expect(dataFlopsRatio(c, model, [])).toBeNaN();
  });
});
