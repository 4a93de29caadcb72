/** The in-thread engine on the tiny fixture: API behaviour, bad input, queueing, abort. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine';
import {
  AbortError, BundleError, ConfigError, DisposedError, InputError, OptionsError,
} from '../src/errors';
import { fuseScores } from '../src/fusion';
import { createReranker } from '../src/index';
import { TINY, tinyGolden } from './helpers';

const golden = tinyGolden();
const c0 = golden.cases[0]!;
let engine: Engine;
beforeAll(async () => { engine = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 }); });
afterAll(() => engine?.dispose());

describe('rank', () => {
  it('returns every passage sorted by score with index, truncated flag and depth', async () => {
    const r = await engine.rank(c0.query, c0.passages, { config: 'd3' });
    expect(r.results.map((x) => x.index).sort()).toEqual([0, 1, 2, 3]);
    const scores = r.results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(r.results.find((x) => x.index === 3)!.truncated).toBe(true);
    expect(r.results.every((x) => x.depth === 3)).toBe(true);
    expect(r.config).toEqual({ depth: 3, compress: null });
    expect(r.backend).toBe('wasm');
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.modelMs);
  });

  it('encode() exposes the rows rank builds (tokenizer parity)', () => {
    const e = engine.encode(c0.query, c0.passages);
    expect(e.inputIds).toEqual(c0.inputIds);
    expect(e.truncated).toEqual(c0.truncated);
  });

  it('topK returns the best k of all scored', async () => {
    const all = await engine.rank(c0.query, c0.passages);
    const top = await engine.rank(c0.query, c0.passages, { topK: 2 });
    expect(top.results).toEqual(all.results.slice(0, 2));
  });

  it('an empty passage list gives an empty result (documented), not an error', async () => {
    const r = await engine.rank('query', []);
    expect(r.results).toEqual([]);
  });

  it('rejects bad input with named errors', async () => {
    await expect(engine.rank('', ['a'])).rejects.toBeInstanceOf(InputError);
    await expect(engine.rank('q', ['a', 7 as unknown as string])).rejects.toThrow(/passages\[1\] must be a string/);
    await expect(engine.rank('q', ['a'], { config: 'nope' })).rejects.toBeInstanceOf(ConfigError);
    await expect(engine.rank('q', ['a'], { config: { depth: 5 } })).rejects.toThrow(/valid depths: 2, 3, 4/);
    await expect(engine.rank('q', ['a'], { topK: 0 })).rejects.toBeInstanceOf(OptionsError);
    await expect(engine.rank('q', ['a'], { budgetMs: 10 })).rejects.toThrow(/budgetMs" needs a controller/);
  });

  it('firstStageScores: ranks by z(model) + w * z(first stage) and keeps the model score', async () => {
    const plain = await engine.rank(c0.query, c0.passages, { config: 'd3' });
    const model = new Map(plain.results.map((r) => [r.index, r.score]));
    const first = c0.passages.map((_, i) => 10 - 3 * i);
    const hybrid = await engine.rank(c0.query, c0.passages, { config: 'd3', firstStageScores: first, fusionWeight: 0.5 });
    expect(hybrid.fusionWeight).toBe(0.5);
    const want = fuseScores(c0.passages.map((_, i) => model.get(i)!), first, 0.5);
    for (const r of hybrid.results) {
      expect(r.modelScore).toBeCloseTo(model.get(r.index)!, 6);
      expect(r.score).toBeCloseTo(want[r.index]!, 5);
    }
    const scores = hybrid.results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // weight 0 keeps the model's order; the tiny bundle has no fusion field, so the default weight is 1
    const w0 = await engine.rank(c0.query, c0.passages, { config: 'd3', firstStageScores: first, fusionWeight: 0 });
    expect(w0.results.map((r) => r.index)).toEqual(plain.results.map((r) => r.index));
    expect((await engine.rank(c0.query, c0.passages, { firstStageScores: first })).fusionWeight).toBe(1);
    expect(plain.fusionWeight).toBeUndefined();
    expect(plain.results[0]!.modelScore).toBeUndefined();
  });

  it('firstStageScores of the wrong length or type fail with a reason', async () => {
    await expect(engine.rank('q', ['a', 'b'], { firstStageScores: [1] })).rejects.toBeInstanceOf(InputError);
    await expect(engine.rank('q', ['a', 'b'], { firstStageScores: [1] })).rejects.toThrow(/got 1 firstStageScores for 2 passages/);
    await expect(engine.rank('q', ['a'], { firstStageScores: [Number.NaN] })).rejects.toBeInstanceOf(OptionsError);
    await expect(engine.rank('q', ['a'], { fusionWeight: 1 })).rejects.toThrow(/needs option "firstStageScores"/);
  });

  it('a 1 MB passage is truncated and flagged, and still scored', async () => {
    const big = 'protein folding '.repeat(70_000);
    const r = await engine.rank('protein', ['short passage', big]);
    expect(r.results).toHaveLength(2);
    expect(r.results.find((x) => x.index === 1)!.truncated).toBe(true);
    expect(r.results.find((x) => x.index === 0)!.truncated).toBe(false);
  });

  it('10,000 passages: all scored, same scores as small calls', async () => {
    const passages = Array.from({ length: 10_000 }, (_, i) => `passage number ${i} about ${i % 7 ? 'cells' : 'genes and proteins in mice'}`);
    const r = await engine.rank('genes', passages, { config: 'd2' });
    expect(r.results).toHaveLength(10_000);
    expect(new Set(r.results.map((x) => x.index)).size).toBe(10_000);
    const few = await engine.rank('genes', passages.slice(0, 3), { config: 'd2' });
    for (const x of few.results) {
      expect(r.results.find((y) => y.index === x.index)!.score).toBeCloseTo(x.score, 4);
    }
  }, 120_000);
});

describe('queue and abort', () => {
  it('concurrent calls queue and each gets its own answer', async () => {
    const [a, b, c] = await Promise.all([
      engine.rank(c0.query, c0.passages, { config: 'd2' }),
      engine.rank(c0.query, c0.passages, { config: 'd4' }),
      engine.rank(c0.query, c0.passages, { config: 'd2' }),
    ]);
    expect(a.config.depth).toBe(2);
    expect(b.config.depth).toBe(4);
    expect(c.results).toEqual(a.results);
    expect(b.results).not.toEqual(a.results);
  });

  it('an aborted signal rejects with AbortError and later calls still work', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(engine.rank('q', ['a'], { signal: ctl.signal })).rejects.toBeInstanceOf(AbortError);
    const ctl2 = new AbortController();
    const long = engine.rank('q', Array.from({ length: 2000 }, (_, i) => `p ${i}`), { signal: ctl2.signal });
    const queued = engine.rank('q', ['a'], { signal: ctl2.signal });
    setTimeout(() => ctl2.abort(), 5);
    await expect(long).rejects.toThrow(/aborted/);
    await expect(queued).rejects.toBeInstanceOf(AbortError);
    expect((await engine.rank('q', ['a'])).results).toHaveLength(1);
  });
});

describe('budgetMs hook', () => {
  it('delegates to the injected chooser and reports its decision', async () => {
    const seen: number[][] = [];
    const rr = await createReranker({
      model: TINY, backend: 'wasm', numThreads: 1,
      chooseConfig: ({ budgetMs, lengths, configurations }) => {
        seen.push(lengths);
        const config = configurations.find((x) => x.name === 'd2-c2-r4')!;
        return { config, predictedMs: 1, budgetMs, fits: true };
      },
    });
    try {
      const r = await rr.rank('q', ['a b', 'c'], { budgetMs: 5 });
      expect(r.config).toEqual({ depth: 2, compress: { layers: [2], ratio: 4, mode: 'attention' } });
      expect(r.decision?.config.name).toBe('d2-c2-r4');
      expect(seen[0]).toHaveLength(2);
    } finally {
      await rr.dispose();
    }
  });
});

describe('loading errors', () => {
  it('requires "model" and a valid backend', async () => {
    await expect(createReranker({})).rejects.toThrow('MatryoshkaReranker: option "model" must be provided (a bundle URL or path)');
    await expect(createReranker({ model: TINY, backend: 'cuda' as 'wasm' })).rejects.toThrow(/"auto", "webgpu", "wasm"/);
    await expect(createReranker({ model: TINY, backend: 'webgpu' })).rejects.toThrow(/webgpu" is not available.*use backend "auto" or "wasm"/);
    await expect(createReranker({ model: TINY, batchSize: 0 })).rejects.toThrow(/"batchSize" must be a positive integer/);
  });

  it('names a missing bundle or file', async () => {
    await expect(createReranker({ model: '/nonexistent/bundle', backend: 'wasm' })).rejects.toThrow(/manifest\.json.*file not found/);
    const dir = mkdtempSync(join(tmpdir(), 'mrr-bad-'));
    try {
      cpSync(TINY, dir, { recursive: true });
      rmSync(join(dir, 'layer_03.onnx'));
      await expect(createReranker({ model: dir, backend: 'wasm', progressiveLoad: false })).rejects.toThrow(/layer_03\.onnx.*file not found/);
      writeFileSync(join(dir, 'layer_03.onnx'), 'garbage');
      const err = await createReranker({ model: dir, backend: 'wasm', progressiveLoad: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/layer_03\.onnx .*is damaged: 7 bytes, manifest\.json says \d+/);
      // Progressive loading: the damaged layer is refused by name on the first call needing it
      // (or already by createReranker), and once it is known the whole bundle is refused, d2 too.
      const early = await createReranker({ model: dir, backend: 'wasm', numThreads: 1 }).catch((e: unknown) => e);
      if (early instanceof Error) {
        expect(early).toBeInstanceOf(BundleError);
        expect(String(early)).toMatch(/layer_03\.onnx .*is damaged: 7 bytes/);
      } else {
        const rr = early as Awaited<ReturnType<typeof createReranker>>;
        try {
          const deep = await rr.rank('q', ['a passage'], { config: 'd4' }).catch((e: unknown) => e);
          expect(deep).toBeInstanceOf(BundleError);
          expect(String(deep)).toMatch(/layer_03\.onnx .*is damaged: 7 bytes/);
          const shallow = await rr.rank('q', ['a passage'], { config: 'd2' }).catch((e: unknown) => e);
          expect(shallow).toBeInstanceOf(BundleError);
          expect(String(shallow)).toMatch(/layer_03\.onnx .*is damaged/);
        } finally {
          await rr.dispose();
        }
      }
      writeFileSync(join(dir, 'manifest.json'), '{"format": "matryoshka-reranker", "formatVersion": 2}');
      await expect(createReranker({ model: dir, backend: 'wasm' })).rejects.toThrow(/formatVersion 2 is not supported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dispose', () => {
  it('later calls reject with DisposedError', async () => {
    const rr = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 });
    await rr.dispose();
    await expect(rr.rank('q', ['a'])).rejects.toBeInstanceOf(DisposedError);
    await expect(rr.info()).rejects.toThrow(/disposed/);
  });
});

describe('progressive loading and progress', () => {
  it('reports bytes by phase, the backend from the first event, and layers as they become ready', async () => {
    const events: import('../src/types').LoadProgress[] = [];
    const e = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1, onProgress: (p) => events.push({ ...p }) });
    try {
      await e.loaded();
      expect((await e.info()).layersReady).toBe(4);
      expect(events[0]!.backend).toBe('wasm');
      expect(events[0]!.backendReason).toBe('WASM requested');
      const phases = events.map((p) => p.phase);
      expect(phases[0]).toBe('download');
      expect(phases[phases.length - 1]).toBe('ready');
      // Phases only move forward; layers and bytes only grow.
      const order = { download: 0, compile: 1, ready: 2 };
      for (let i = 1; i < events.length; i++) {
        expect(order[events[i]!.phase]).toBeGreaterThanOrEqual(order[events[i - 1]!.phase]);
        expect(events[i]!.layersReady).toBeGreaterThanOrEqual(events[i - 1]!.layersReady);
        expect(events[i]!.bundleLoadedBytes).toBeGreaterThanOrEqual(events[i - 1]!.bundleLoadedBytes);
      }
      const { bundleFiles } = await import('../src/manifest');
      const { parseManifest } = await import('../src/manifest');
      const { readFileSync, statSync } = await import('node:fs');
      const manifest = parseManifest(JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')));
      const total = bundleFiles(manifest).reduce((a, f) => a + statSync(join(TINY, f)).size, 0);
      const last = events[events.length - 1]!;
      expect(last.bundleTotalBytes).toBe(total);
      expect(last.bundleLoadedBytes).toBe(total);
      expect(last.fraction).toBe(1);
    } finally {
      await e.dispose();
    }
  });
});
