/**
 * Results report the shape they ran (`RankResult.shape`: token counts per row, batching limits),
 * and the controller calibrates through the public API alone: explicit configurations, shapes
 * read from the results, no hook into the engine (tiny fixture, WASM, in-thread).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveController } from '../src/controller/controller';
import { Engine } from '../src/engine';
import type { ConfigRequest } from '../src/types';
import { TINY } from './helpers';

let engine: Engine;
const requests: ConfigRequest[] = [];
beforeAll(async () => {
  engine = await Engine.create({
    model: TINY, backend: 'wasm', numThreads: 1, batchSize: 3, maxBatchTokens: 4096,
    chooseConfig: (r) => { requests.push(r); return { config: { ...r.configurations[0]! }, predictedMs: 1, budgetMs: r.budgetMs, fits: true }; },
  });
});
afterAll(() => engine?.dispose());

const passages = ['a cell', 'proteins fold in the cell membrane '.repeat(40), ''];

describe('RankResult.shape', () => {
  it('reports the query tokens, every row length (input order, after truncation) and the batching limits', async () => {
    const enc = engine.encode('cells and proteins', passages);
    const res = await engine.rank('cells and proteins', passages, { config: 'd2', topK: 1 });
    expect(res.shape).toEqual({ qLen: enc.qLens[0], lengths: enc.inputIds.map((r) => r.length), limits: { batchSize: 3, maxBatchTokens: 4096 } });
    expect(res.shape.lengths.map((l) => l - res.shape.qLen - 3)).toEqual(enc.pLens);
    expect(res.results).toHaveLength(1); // topK cuts the results, not the shape
  });

  it('is what a budgetMs strategy is told, and rankProgressive reports it too', async () => {
    requests.length = 0;
    const res = await engine.rank('cells', passages, { budgetMs: 50 });
    expect(requests).toHaveLength(1);
    const { qLen, lengths, limits } = requests[0]!;
    expect({ qLen, lengths, limits }).toEqual(res.shape);
    const prog = await engine.rankProgressive('cells', passages, { stages: [{ depth: 2, keep: 2 }, { depth: 4 }] });
    expect(prog.shape).toEqual(res.shape);
  });

  it('an empty call has an empty shape', async () => {
    expect((await engine.rank('cells', [])).shape.lengths).toEqual([]);
  });
});

describe('calibration through the public API', () => {
  it('calibrates a reranker that was not created with the controller (explicit configurations only)', async () => {
    const plain = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1, batchSize: 3 });
    try {
      const controller = new AdaptiveController({ calibrationRepeats: 1 });
      const sample = await controller.quickCalibrate(plain);
      expect(controller.calibrationSource('wasm')).toBe('probe');
      // The shape is the engine's (exact token counts and its batching limits), read from the result.
      expect(sample.shape.limits).toEqual({ batchSize: 3, maxBatchTokens: 8192 });
      expect(sample.shape.pLens.every((p) => p > 0)).toBe(true);
      const fit = await controller.calibrate(plain);
      expect(controller.calibration!.samples.length).toBeGreaterThanOrEqual(7);
      // The calibration plan used the engine's batch size (learnt from the probes' results).
      const counts = controller.calibration!.samples.map((s) => s.shape.pLens.length);
      expect(counts).toContain(3 + 4);
      expect(counts).not.toContain(16 + 4);
      expect(fit.coefficients.perCall).toBeGreaterThanOrEqual(0);
      // budgetMs still needs the controller as the engine's strategy.
      await expect(plain.rank('cells', passages, { budgetMs: 50 })).rejects.toThrow(/"budgetMs" needs a controller/);
    } finally {
      await plain.dispose();
    }
  });
});
