/** The controller on the real engine (tiny fixture, WASM, in-thread): calibrate, decide, learn. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdaptiveReranker, createAdaptiveReranker } from '../src/controller/adaptive-reranker';
import { COST_TERMS } from '../src/controller/cost-model';
import { isAdaptiveDecision } from '../src/controller/controller';
import { createReranker } from '../src/index';
import { TINY } from './helpers';

let rr: AdaptiveReranker;
beforeAll(async () => {
  rr = await createAdaptiveReranker((chooseConfig) => createReranker({ model: TINY, backend: 'wasm', numThreads: 1, chooseConfig }), { startup: 'full', calibrationStore: null });
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

describe('ready in seconds: one probe, full calibration in the background, saved for the next load', () => {
  it('starts from one probe, refines while idle, and a second load reuses the saved calibration', async () => {
    const map = new Map<string, string>();
    const store = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => { map.set(k, v); } };
    const events: string[] = [];
    let probes = 0;
    const make = () => createAdaptiveReranker(
      (chooseConfig) => createReranker({ model: TINY, backend: 'wasm', numThreads: 1, chooseConfig }),
      { calibrationStore: store, onCalibration: (e) => events.push(`${e.stage}:${e.source}`), onProbe: () => { probes++; } },
    );
    const first = await make();
    try {
      expect(first.controller.calibrationSource()).toBe('probe');
      expect(first.controller.calibration).toBeNull();
      // A caller's call right away is served (and decided) while the background calibration waits.
      const r = await first.rank('cells and proteins', passages.slice(0, 8), { budgetMs: 10_000 });
      expect(r.results).toHaveLength(8);
      expect(isAdaptiveDecision(r.decision) && r.decision.calibration).toBe('probe');
      expect(r.decision?.warning ?? '').not.toMatch(/not calibrated/);
      await first.background;
      expect(first.controller.calibrationSource()).toBe('calibrated');
      expect(first.controller.calibration!.samples.length).toBeGreaterThanOrEqual(7);
      expect(events).toContain('full:calibrated');
      expect(map.size).toBe(1);
      expect([...map.keys()][0]).toMatch(/tiny-random@[0-9a-f]{8}:wasm:/);
    } finally {
      await first.dispose();
    }
    events.length = 0;
    probes = 0;
    const ran: string[] = [];
    const second = await createAdaptiveReranker(
      async (chooseConfig) => {
        const inner = await createReranker({ model: TINY, backend: 'wasm', numThreads: 1, chooseConfig });
        const rank = inner.rank.bind(inner);
        inner.rank = (q, p, o) => { ran.push(JSON.stringify(o?.config)); return rank(q, p, o); };
        return inner;
      },
      { calibrationStore: store, onCalibration: (e) => events.push(`${e.stage}:${e.source}`), onProbe: () => { probes++; } },
    );
    try {
      expect(events).toEqual(['saved:calibrated']);
      expect(probes).toBe(0);
      expect(second.controller.calibration!.samples.length).toBeGreaterThanOrEqual(7);
      // No probe, but every deeper session runs once before a search needs it: full depth plain
      // and compressed at its first layer (horizontal adapters), the exit below (vertical). A
      // search asked for at once waits for that warm-up instead of paying for it.
      for (let i = 0; i < 2000 && ((await second.info()).layersReady ?? 4) < 4; i++) await new Promise((r) => setTimeout(r, 5));
      await second.rank('cells', passages.slice(0, 3), { config: 'd4' });
      await second.background;
      const c2 = { layers: [2], ratio: 2, mode: 'attention' };
      expect(ran.map((c) => JSON.parse(c))).toEqual([
        { depth: 2, compress: null }, { depth: 2, compress: c2 }, // the shallow warm-up, before ready
        { depth: 4, compress: null }, { depth: 4, compress: c2 }, { depth: 3, compress: null },
        'd4', // the caller's search
      ]);
    } finally {
      await second.dispose();
    }
  });
});
