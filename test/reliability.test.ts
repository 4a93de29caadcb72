/**
 * Issue 14's defects, each tested the way a user meets it through createReranker (Node, WASM,
 * the tiny fixture): bounded tokenizing for any script, damaged bundles refused, dispose()
 * semantics, aborts within one layer step, messages, and the e2e runner's skip report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-web';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runTest, skip, type E2EContext } from '../e2e/run';
import { createReranker } from '../src/index';
import type { Engine } from '../src/engine';
import { BundleError, ConfigError, OptionsError, showValue } from '../src/errors';
import { RowTokenizer } from '../src/tokenize';
import { readJson, TINY, tinyManifest } from './helpers';

let rr: Engine;
beforeAll(async () => {
  rr = await createReranker({ model: TINY, backend: 'wasm', numThreads: 1 });
  await rr.loaded(); // every layer, every hash and the canary (loadReport)
}, 120_000);
afterAll(async () => {
  await rr.dispose();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const MB = 1 << 20;
const hostileTexts = (): Record<string, string> => ({
  url: 'https://example.com/a/b?c=d&e=f#'.repeat(MB / 32),
  cjk: '漢字仮名交じり文'.repeat(MB / 8),
  base64: Buffer.from(Array.from({ length: (MB * 3) / 4 }, (_, i) => (i * 2654435761) >>> 24)).toString('base64'),
  letters: 'a'.repeat(MB),
  emoji: '😀'.repeat(MB / 2),
});

function tokenizer(): RowTokenizer {
  const m = tinyManifest();
  return new RowTokenizer(readJson(`${TINY}/${m.input.tokenizer}`), readJson(`${TINY}/${m.input.tokenizerConfig}`), m);
}

describe('bounded tokenizing, whatever the script', () => {
  it('never hands the tokenizer more than maxPassageTokens x CHARS_PER_TOKEN characters of a 1 MB passage', async () => {
    const lengths: number[] = [];
    const encode = Tokenizer.prototype.encode;
    vi.spyOn(Tokenizer.prototype, 'encode').mockImplementation(function (this: Tokenizer, text: string, ...rest: unknown[]) {
      lengths.push(text.length);
      return (encode as (...a: unknown[]) => ReturnType<Tokenizer['encode']>).call(this, text, ...rest);
    });
    const texts = hostileTexts();
    const r = await rr.rank('a query', Object.values(texts));
    const bound = tinyManifest().input.maxPassageTokens * 16; // the bound docs/runtime.md states (CHARS_PER_TOKEN)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(bound);
    expect(r.results).toHaveLength(5);
    for (const x of r.results) {
      expect(Number.isFinite(x.score)).toBe(true);
      expect(x.truncated).toBe(true);
    }
  });

  it('the cut keeps the first tokens exact where the text has split points (CJK, URL, base64, words)', () => {
    const t = tokenizer();
    const max = t.maxPassageTokens;
    const full = (s: string) => (t as unknown as { ids(s: string): number[] }).ids(s);
    const samples = { ...hostileTexts(), words: 'the quick brown fox jumps over '.repeat(2000) };
    for (const [name, text] of Object.entries(samples)) {
      if (name === 'letters' || name === 'emoji') continue; // no split point: cut by characters, flagged
      const prefix = text.slice(0, 40_000); // long enough to be cut, short enough to tokenize whole here
      const enc = t.encode(prefix, max);
      expect(enc.truncated, name).toBe(true);
      expect(enc.ids, name).toEqual(full(prefix).slice(0, max));
    }
  });
});

/** A copy of the tiny bundle to damage. */
function copyTiny(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mrr-damaged-'));
  cpSync(TINY, dir, { recursive: true });
  return dir;
}

/**
 * The load error of a bundle. With progressive loading (the default) createReranker can resolve
 * on the shallow layers before a deep file's check or the canary fails: then loaded() rejects
 * with that error, and every later call (d2 included) is refused with the same error.
 */
async function loadError(dir: string): Promise<unknown> {
  return createReranker({ model: dir, backend: 'wasm', numThreads: 1 }).then(async (e) => {
    try {
      const err = await e.loaded().then(() => null, (x: unknown) => x);
      if (err !== null) {
        await expect(e.rank('q', ['p'], { config: 'd2' })).rejects.toBe(err);
        await expect(e.rankProgressive('q', ['p'], { stages: [{ depth: 2 }] })).rejects.toBe(err);
      }
      return err;
    } finally {
      await e.dispose();
    }
  }, (e: unknown) => e);
}

describe('a damaged bundle is refused with a BundleError naming the file', () => {
  it('zeroed bytes inside layer_03.weights', async () => {
    const dir = copyTiny();
    try {
      const f = join(dir, 'layer_03.weights');
      const b = readFileSync(f);
      b.fill(0, 1024, 1024 + 4096);
      writeFileSync(f, b);
      const err = await loadError(dir);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/layer_03\.weights .*damaged: its SHA-256 is [0-9a-f]{64}, manifest\.json says [0-9a-f]{64}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a truncated layer_03.weights is named as such (not as layer_03.onnx)', async () => {
    const dir = copyTiny();
    try {
      truncateSync(join(dir, 'layer_03.weights'), 1000);
      const err = await loadError(dir);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/bundle file layer_03\.weights .*damaged: 1000 bytes, manifest\.json says 18432/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two layers swapped in the manifest: the golden canary refuses it', async () => {
    const dir = copyTiny();
    try {
      const m = readJson(join(dir, 'manifest.json')) as { graphs: Record<string, string[]> };
      for (const k of ['layers', 'plainLayers', 'layerWeights']) {
        const l = m.graphs[k]!;
        [l[1], l[2]] = [l[2]!, l[1]!];
      }
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      const err = await loadError(dir);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/fails its load-time canary on wasm: configuration d\d.*\|diff\|.*layer_03\.(plain\.)?onnx/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a manifest edited to fewer layers than its configurations use', async () => {
    const dir = copyTiny();
    try {
      const m = readJson(join(dir, 'manifest.json')) as { architecture: { numLayers: number }; exits: number[]; graphs: Record<string, string[] | string> };
      m.architecture.numLayers = 3;
      m.exits = [2, 3];
      for (const k of ['layers', 'plainLayers', 'layerWeights']) m.graphs[k] = (m.graphs[k] as string[]).slice(0, 3);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      const err = await loadError(dir);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/manifest\.json: field "configurations\[\d+\]" must be a configuration of this bundle \("d4.*not an exit layer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits that do not match the graphs\' exit heads', async () => {
    const dir = copyTiny();
    try {
      const m = readJson(join(dir, 'manifest.json')) as { exits: number[]; configurations: { depth: number }[] };
      m.exits = [3, 4];
      m.configurations = m.configurations.filter((c) => c.depth !== 2);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      const err = await loadError(dir);
      expect(err).toBeInstanceOf(BundleError);
      expect(String(err)).toMatch(/layer_02\.onnx has an exit head .* does not list layer 2|golden\.json cases\[\d+\] has a configuration this manifest cannot run/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a manifest without the files table', async () => {
    const dir = copyTiny();
    try {
      const m = readJson(join(dir, 'manifest.json')) as { files?: unknown };
      delete m.files;
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      expect(String(await loadError(dir))).toMatch(/BundleError: .*manifest\.json: field "files" must be an object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the intact bundle reports what its checks cost', () => {
    const r = rr.loadReport!;
    expect(r.canary.rows).toBeGreaterThanOrEqual(1);
    expect(r.canary.worstDiff).toBeLessThan(1e-3);
    expect(r.hashMs).toBeGreaterThan(0);
    expect(r.hashWaitMs).toBeGreaterThanOrEqual(0);
  });
});

describe('dispose()', () => {
  it('calls made before dispose() complete; calls after it reject', async () => {
    const e = await createReranker({ model: TINY, backend: 'wasm', numThreads: 1 });
    const p1 = e.rank('q', ['p']);
    const p2 = e.rankProgressive('q', ['a', 'b', 'c'], { stages: [{ depth: 2, keep: 2 }, { depth: 4 }] });
    await e.dispose();
    await expect(p1).resolves.toMatchObject({ results: [{ index: 0 }] });
    await expect(p2).resolves.toMatchObject({ stages: [{ scored: 3 }, { scored: 2 }] });
    await expect(e.rank('q', ['p'])).rejects.toThrow(/was disposed; create a new one/);
  });
});

describe('abort within one layer step', () => {
  it('no layer runs after the signal fires inside a batch', async () => {
    const ctl = new AbortController();
    let runs = 0;
    let abortedAt = -1;
    const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const run = proto.run;
    vi.spyOn(proto, 'run').mockImplementation(function (this: ort.InferenceSession, ...a: unknown[]) {
      runs++;
      if (runs === 2) setTimeout(() => { abortedAt = runs; ctl.abort(); }, 0); // fires as soon as the loop gets a turn
      return (run as (...x: unknown[]) => ReturnType<ort.InferenceSession['run']>).apply(this, a);
    });
    const passages = Array.from({ length: 8 }, (_, i) => `passage ${i} about genes and proteins`);
    await expect(rr.rank('genes', passages, { config: 'd4', signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 50));
    expect(abortedAt).toBeGreaterThan(0);
    // at most the step that was running when the timer was due
    expect(runs - abortedAt).toBeLessThanOrEqual(1);
  });

  it('tokenizing 100,000 passages stops within a slice of the abort', async () => {
    const ctl = new AbortController();
    let calls = 0;
    let atAbort = -1;
    const encode = Tokenizer.prototype.encode;
    vi.spyOn(Tokenizer.prototype, 'encode').mockImplementation(function (this: Tokenizer, ...a: unknown[]) {
      calls++;
      if (calls === 2) setTimeout(() => { atAbort = calls; ctl.abort(); }, 0);
      return (encode as (...x: unknown[]) => ReturnType<Tokenizer['encode']>).apply(this, a);
    });
    const passages = Array.from({ length: 100_000 }, (_, i) => `passage number ${i} with a few words`);
    await expect(rr.rank('q', passages, { signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 50));
    expect(atAbort).toBeGreaterThan(0);
    expect(atAbort).toBeLessThan(50_000);
    expect(calls - atAbort).toBeLessThan(10_000);
  });

  it('a call with a signal gives the same scores as one without (steps are only split)', async () => {
    const passages = Array.from({ length: 40 }, (_, i) => `passage ${i} ${'word '.repeat(i * 3)}`);
    const a = await rr.rank('genes', passages, { config: 'd4-c2-r4' });
    const b = await rr.rank('genes', passages, { config: 'd4-c2-r4', signal: new AbortController().signal });
    const byIndex = (r: typeof a) => r.results.map((x) => x.score).map((_, k) => r.results.find((x) => x.index === k)!.score);
    const [sa, sb] = [byIndex(a), byIndex(b)];
    expect(Math.max(...sa.map((s, k) => Math.abs(s - sb[k]!)))).toBeLessThan(1e-4);
  });
});

describe('messages', () => {
  it('NaN and Infinity are shown as such, not as null', async () => {
    await expect(rr.rank('q', ['p'], { budgetMs: Number.NaN })).rejects.toThrow(/"budgetMs" must be a positive number of milliseconds, got NaN/);
    await expect(rr.rank('q', ['p'], { topK: Number.POSITIVE_INFINITY })).rejects.toThrow(/"topK" must be a positive integer, got Infinity/);
    expect(showValue({ a: Number.NaN })).toBe('{"a":"NaN"}');
    expect(showValue(undefined)).toBe('undefined');
  });

  it('a bad progressive depth is a ConfigError in any stage', async () => {
    for (const stages of [[{ depth: 9 }], [{ depth: 9, keep: 2 }, { depth: 4 }], [{ depth: 2, keep: 2 }, { depth: 9 }]]) {
      const err = await rr.rankProgressive('q', ['a', 'b', 'c'], { stages }).catch((e: unknown) => e);
      expect(err, JSON.stringify(stages)).toBeInstanceOf(ConfigError);
      expect(String(err)).toMatch(/stages\[\d\]\.depth 9 is not an exit layer; valid depths: 2, 3, 4/);
    }
  });

  it('rankProgressive honours topK and refuses the options it does not offer', async () => {
    const r = await rr.rankProgressive('q', ['a', 'b', 'c', 'd'], { stages: [{ depth: 2, keep: 3 }, { depth: 4 }], topK: 2 });
    expect(r.results).toHaveLength(2);
    expect(r.stages[1]!.results).toHaveLength(4);
    const bad = { stages: [{ depth: 4 }], firstStageScores: [1, 2] } as Parameters<Engine['rankProgressive']>[2];
    await expect(rr.rankProgressive('q', ['a', 'b'], bad)).rejects.toThrow(OptionsError);
    await expect(rr.rankProgressive('q', ['a', 'b'], bad)).rejects.toThrow(/does not take option "firstStageScores"/);
    await expect(rr.rankProgressive('q', ['a'], { stages: [{ depth: 4 }], topK: 0 })).rejects.toThrow(/"topK" must be a positive integer, got 0/);
  });

  it('cli rank names a missing or malformed --passages file (no raw ENOENT or SyntaxError)', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'mrr-cli-')), 'p.json');
    writeFileSync(bad, '{ not json');
    for (const [file, want] of [['/nonexistent/p.json', /cannot read --passages file \/nonexistent\/p\.json \(file not found\)/], [bad, /--passages file .*p\.json is not valid JSON/]] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/cli.ts', 'rank', '--model', TINY, '--query', 'q', '--passages', file], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toMatch(/ENOENT|SyntaxError/);
    }
  });
});

describe('e2e runner', () => {
  it('reports a skipped test as skipped, not ok', async () => {
    const ctx = {} as E2EContext;
    const s = await runTest('x.e2e.ts', 'needs a dataset', async () => skip('no dataset at ../shared/datasets/adi'), ctx);
    expect(s.outcome).toBe('skipped');
    expect(s.line).toBe('skip x.e2e.ts › needs a dataset: no dataset at ../shared/datasets/adi');
    expect((await runTest('x.e2e.ts', 'passes', async () => {}, ctx)).line).toMatch(/^ok {3}x\.e2e\.ts › passes/);
    expect((await runTest('x.e2e.ts', 'fails', async () => { throw new Error('boom'); }, ctx)).outcome).toBe('failed');
  });
});
