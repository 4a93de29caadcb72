/** The controller on the real engine (tiny fixture, WASM, in-thread): calibrate, decide, learn. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdaptiveReranker, createAdaptiveReranker } from '../src/controller/adaptive-reranker';
import { COST_TERMS } from '../src/controller/cost-model';
import { isAdaptiveDecision } from '../src/controller/controller';
import { createReranker } from '../src/index';
import { TINY } from './helpers';

let rr: AdaptiveReranker;
beforeAll(async () => {
  rr = await createAdaptiveReranker((chooseConfig) => createReranker({ model: TINY, backend: 'wasm', numThreads: 1, chooseConfig }));
});
afterAll(() => rr?.dispose());

const passages = Array.from({ length: 30 }, (_, i) => `passage ${i} about cells and proteins `.repeat(1 + (i % 6)));

describe('AdaptiveReranker on the tiny bundle', () => {
  it('calibrates with the exact token lengths the engine used', () => {
    const cal = rr.controller.calibration!;
    expect(cal.samples.length).toBeGreaterThanOrEqual(7);
    expect(cal.samples.every((s) => s.ms > 0 && s.shape.qLen > 0)).toBe(true);
    // Long probes are cut to the manifest's maximum passage length.
    expect(Math.max(...cal.samples.flatMap((s) => s.shape.pLens))).toBe(192);
    for (const k of COST_TERMS) expect(cal.fit.coefficients[k]).toBeGreaterThanOrEqual(0);
  });

  it('serves budgetMs: the best configuration for a loose budget, the fastest with a warning for an impossible one', async () => {
    const loose = await rr.rank('cells', passages, { budgetMs: 60_000 });
    expect(loose.results).toHaveLength(passages.length);
    expect(loose.decision?.config.name).toBe('d4'); // tiny has no dev nDCG: flopsRatio order
    expect(loose.decision?.fits).toBe(true);
    const tight = await rr.rank('cells', passages, { budgetMs: 0.001 });
    expect(tight.decision?.fits).toBe(false);
    expect(tight.decision?.warning).toMatch(/no configuration fits/);
    const d = tight.decision!;
    expect(isAdaptiveDecision(d) && d.candidates.every((c) => d.upperMs <= c.upperMs)).toBe(true);
    expect(tight.config.depth).toBe(d.config.depth);
  });

  it('learns from every budgeted call', async () => {
    const before = rr.controller.correctionState('wasm').count;
    for (let i = 0; i < 3; i++) await rr.rank('proteins', passages.slice(0, 10), { budgetMs: 1000 });
    expect(rr.controller.correctionState('wasm').count).toBe(before + 3);
    // An explicit configuration on the same passages teaches it too (the shape is known) ...
    await rr.rank('proteins', passages.slice(0, 10), { config: 'd2' });
    expect(rr.controller.correctionState('wasm').count).toBe(before + 4);
    // ... on other passages it cannot.
    await rr.rank('proteins', passages.slice(0, 9), { config: 'd2' });
    await rr.rank('proteins', passages.slice(0, 10), { config: { depth: 2 } });
    expect(rr.controller.correctionState('wasm').count).toBe(before + 4);
  });
});
