/**
 * Progressive re-ranking must give, for every row a stage scores, the score a direct `rank`
 * at that stage's depth gives — while resuming from stored hidden states where it can.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine';
import { OptionsError } from '../src/errors';
import { Keeper } from '../src/progressive';
import type { CompressSpec, ProgressiveStage, RankedPassage } from '../src/types';
import { TINY, tinyGolden } from './helpers';

const golden = tinyGolden();
const query = golden.cases[0]!.query;
const passages = [
  ...golden.cases[0]!.passages,
  'Short one.',
  'Mice lacking the gene showed reduced tumour growth over twelve weeks of observation.',
  '',
  'A medium length passage about cells, proteins, and the immune response in humans.',
  'Unrelated text about football and weather.',
];

let engine: Engine;
beforeAll(async () => { engine = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1, batchSize: 2 }); });
afterAll(() => engine?.dispose());

async function direct(depth: number, compress: CompressSpec | null): Promise<Map<number, number>> {
  const cl = compress ? compress.layers.filter((l) => l <= depth) : [];
  const config = { depth, compress: compress && cl.length ? { ...compress, layers: cl } : null };
  const r = await engine.rank(query, passages, { config });
  return new Map(r.results.map((x) => [x.index, x.score]));
}

async function checkExact(stages: ProgressiveStage[], compress: CompressSpec | null, resumed: boolean[]) {
  const seen: number[] = [];
  const r = await engine.rankProgressive(query, passages, { stages, compress, onStage: (s) => seen.push(s) });
  expect(seen).toEqual(stages.map((_, i) => i));
  let expectedScored = passages.length;
  let prevTop: number[] = passages.map((_, i) => i);
  for (let s = 0; s < stages.length; s++) {
    const st = r.stages[s]!;
    expect(st.scored).toBe(expectedScored);
    const ref = await direct(stages[s]!.depth, compress);
    const scored = st.results.slice(0, st.scored);
    expect(new Set(scored.map((x) => x.index))).toEqual(new Set(prevTop));
    let worst = 0;
    for (const x of scored) {
      expect(x.depth).toBe(stages[s]!.depth);
      worst = Math.max(worst, Math.abs(x.score - ref.get(x.index)!));
    }
    expect(worst, `stage ${s}`).toBeLessThan(1e-4);
    // No passage dropped: every stage's ranking lists all of them once.
    expect(st.results.map((x) => x.index).sort((a, b) => a - b)).toEqual(passages.map((_, i) => i));
    const keep = stages[s]!.keep ?? 0;
    prevTop = [...ref.entries()].filter(([i]) => prevTop.includes(i)).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, keep).map(([i]) => i);
    expectedScored = Math.min(keep, expectedScored);
  }
  expect(r.results).toEqual(r.stages[r.stages.length - 1]!.results);
  expect(r.stages.map((s) => s.resumed)).toEqual(resumed);
  return r;
}

describe('rankProgressive exactness', () => {
  it('stages below full depth resume; a full-depth stage recomputes its kept rows', async () => {
    await checkExact([{ depth: 2, keep: 5 }, { depth: 3, keep: 3 }, { depth: 4 }], null, [false, true, false]);
  });

  it('with compression before the first stage', async () => {
    await checkExact([{ depth: 2, keep: 6 }, { depth: 3 }], { layers: [2], ratio: 2, mode: 'attention' }, [false, true]);
  });

  it('with compression at a resumed layer (uses the stored cls_attn)', async () => {
    await checkExact([{ depth: 2, keep: 4 }, { depth: 3 }], { layers: [3], ratio: 4, mode: 'attention' }, [false, true]);
  });

  it('with compression at two layers across stages, mean mode, full depth last', async () => {
    await checkExact([{ depth: 2, keep: 7 }, { depth: 3, keep: 2 }, { depth: 4 }], { layers: [2, 3], ratio: 2, mode: 'mean' }, [false, true, false]);
  });

  it('orders by stage reached, then score', async () => {
    const r = await engine.rankProgressive(query, passages, { stages: [{ depth: 2, keep: 3 }, { depth: 3 }] });
    const depths = r.results.map((x: RankedPassage) => x.depth);
    expect(depths).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2]);
  });
});

describe('rankProgressive validation', () => {
  it('explains bad stages', async () => {
    await expect(engine.rankProgressive(query, passages, { stages: [] })).rejects.toBeInstanceOf(OptionsError);
    await expect(engine.rankProgressive(query, passages, { stages: [{ depth: 3, keep: 2 }, { depth: 2 }] })).rejects.toThrow(/strictly deeper/);
    await expect(engine.rankProgressive(query, passages, { stages: [{ depth: 2 }, { depth: 3 }] })).rejects.toThrow(/stages\[0\]\.keep must be a positive integer/);
    await expect(engine.rankProgressive(query, passages, { stages: [{ depth: 1, keep: 2 }, { depth: 3 }] })).rejects.toThrow(/valid depths: 2, 3, 4/);
    await expect(engine.rankProgressive(query, passages, { stages: [{ depth: 2, keep: 2 }, { depth: 3 }], compress: { layers: [4], ratio: 2 } })).rejects.toThrow(/compress\.layers/);
  });
});

describe('memory bound', () => {
  it('Keeper holds at most `keep` rows while batches stream by', () => {
    const k = new Keeper(3, true);
    let maxHeld = 0;
    for (let batch = 0; batch < 50; batch++) {
      const indices = [batch * 4, batch * 4 + 1, batch * 4 + 2, batch * 4 + 3];
      const scores = Float32Array.from(indices, (i) => Math.sin(i));
      const entered = k.offer(indices, scores);
      for (const b of entered) k.states.set(indices[b]!, { qLen: 0, pLen: 0, layer: 2, hidden: new Float32Array(1), clsAttn: null });
      maxHeld = Math.max(maxHeld, k.states.size);
    }
    expect(maxHeld).toBeLessThanOrEqual(3);
    const all = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => Math.sin(b) - Math.sin(a));
    expect(k.best.map((e) => e.index)).toEqual(all.slice(0, 3));
    expect([...k.states.keys()].sort()).toEqual(all.slice(0, 3).sort());
  });

  it('2,000 passages through two resumed stages', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `passage ${i} on ${i % 5 ? 'cells' : 'genes in mice'}`);
    const r = await engine.rankProgressive('genes', many, { stages: [{ depth: 2, keep: 10 }, { depth: 3 }] });
    expect(r.results).toHaveLength(2000);
    expect(r.stages.map((s) => s.scored)).toEqual([2000, 10]);
    expect(r.stages[1]!.resumed).toBe(true);
  }, 120_000);
});
