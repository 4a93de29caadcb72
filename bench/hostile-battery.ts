/**
 * Hostile-input battery: what a user can throw at `createReranker` in Node (odd queries,
 * passages, options, progressive stages, aborts, dispose, concurrency, damaged bundles), each
 * case with the outcome it must have. Prints one line per case that went wrong and the counts:
 * cases run, named errors (the expected error class), correct results, wrong results, hangs.
 * Exits 1 on any wrong result or hang.
 *
 *   node --import tsx bench/hostile-battery.ts [--model models/minilm-l6-scifact] [--timeout 120000]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createReranker, type Engine } from '../src/index';
import { MatryoshkaError } from '../src/errors';
import type { RankResult } from '../src/types';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/minilm-l6-scifact' }, timeout: { type: 'string', default: '120000' } } });
const MODEL = values.model!;
const TIMEOUT = Number(values.timeout);
const MB = 1 << 20;

type Expect = { error: string } | { ok: (r: RankResult, input: unknown) => string | null };
interface Case { name: string; run: () => Promise<unknown>; expect: Expect; input?: unknown }

const counts = { run: 0, namedErrors: 0, correct: 0, wrong: 0, hangs: 0 };

/** One finite score per passage (best `topK`), indices distinct and in range; null when fine. */
function wellFormed(r: RankResult, passages: unknown, topK?: number): string | null {
  const n = Array.isArray(passages) ? passages.length : 0;
  const want = topK === undefined ? n : Math.min(topK, n);
  if (r.results.length !== want) return `${r.results.length} results for ${n} passages (topK ${topK})`;
  const idx = r.results.map((x) => x.index);
  if (new Set(idx).size !== idx.length || idx.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) return `indices not distinct / in range: ${idx.slice(0, 10).join(',')}`;
  if (r.results.some((x) => !Number.isFinite(x.score))) return 'a non-finite score';
  for (let k = 1; k < r.results.length; k++) if (r.results[k - 1]!.score < r.results[k]!.score && !('stages' in r)) return 'not sorted by score';
  return null;
}
const ranks = (passages: unknown, topK?: number) => ({ ok: (r: RankResult) => wellFormed(r, passages, topK) });

function withTimeout<T>(p: Promise<T>): Promise<T | 'hang'> {
  return Promise.race([p, new Promise<'hang'>((res) => setTimeout(() => res('hang'), TIMEOUT))]);
}

async function runCase(c: Case): Promise<void> {
  counts.run++;
  let value: unknown;
  let error: unknown = null;
  try {
    value = await withTimeout(c.run());
  } catch (e) {
    error = e;
  }
  if (value === 'hang') { counts.hangs++; console.log(`HANG  ${c.name}`); return; }
  if ('error' in c.expect) {
    if (error instanceof MatryoshkaError && error.name === c.expect.error && error.message.startsWith('MatryoshkaReranker: ')) { counts.namedErrors++; return; }
    counts.wrong++;
    console.log(`WRONG ${c.name}: expected ${c.expect.error}, got ${error ? `${(error as Error).name}: ${(error as Error).message}` : 'a result'}`);
    return;
  }
  if (error) { counts.wrong++; console.log(`WRONG ${c.name}: expected a ranking, got ${(error as Error).name}: ${(error as Error).message}`); return; }
  const why = c.expect.ok(value as RankResult, c.input);
  if (why) { counts.wrong++; console.log(`WRONG ${c.name}: ${why}`); return; }
  counts.correct++;
}

const b64 = Buffer.from(Array.from({ length: (MB * 3) / 4 }, (_, i) => (i * 2654435761) >>> 24)).toString('base64');
const texts: Record<string, string> = {
  'empty': '', 'whitespace': ' \t\n ', 'NUL and controls': 'a\u0000b\u0007c\u001b[31m', 'lone surrogate': '\ud800abc\udc00',
  'RTL and combining': 'مرحبا بالعالم e\u0301\u0301\u0301', 'emoji ZWJ': '👩‍👩‍👧‍👦'.repeat(50), 'HTML': '<script>alert(1)</script><b>gene</b>',
  '1 MB URL, no whitespace': 'https://example.com/a/b?c=d&e=f#'.repeat(MB / 32), '1 MB CJK': '漢字仮名交じり文'.repeat(MB / 8),
  '1 MB base64': b64, '1 MB one letter': 'a'.repeat(MB), '1 MB emoji': '😀'.repeat(MB / 2), '1 MB words': 'gene protein cell '.repeat(MB / 18),
  '1 MB kana': 'あいうえお'.repeat(MB / 5), '1 MB spaces': ' '.repeat(MB),
};

async function damagedBundles(): Promise<Case[]> {
  const cases: Case[] = [];
  const damage = (name: string, fn: (dir: string) => void): Case => ({
    name: `bundle: ${name}`,
    expect: { error: 'BundleError' },
    run: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mrr-battery-'));
      try {
        cpSync(MODEL, dir, { recursive: true });
        fn(dir);
        const e = await createReranker({ model: dir, backend: 'wasm' });
        try {
          await e.loaded(); // progressive loading: a damaged deep file or the canary fails here
        } finally {
          await e.dispose();
        }
        return e;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
  const manifest = (dir: string, edit: (m: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  };
  const zero = (file: string, at: number, n: number) => (dir: string) => { const b = readFileSync(join(dir, file)); b.fill(0, Math.min(at, b.length >> 2), Math.min(b.length, at + n)); writeFileSync(join(dir, file), b); };
  cases.push(damage('layer_03.weights with 400 kB zeroed', zero('layer_03.weights', 1000, 400_000)));
  cases.push(damage('layer_03.weights truncated', (d) => truncateSync(join(d, 'layer_03.weights'), 1000)));
  cases.push(damage('embeddings.onnx one byte flipped', (d) => { const b = readFileSync(join(d, 'embeddings.onnx')); b[b.length >> 1] = b[b.length >> 1]! ^ 1; writeFileSync(join(d, 'embeddings.onnx'), b); }));
  cases.push(damage('adapters.safetensors zeroed', zero('adapters.safetensors', 4096, 100_000)));
  cases.push(damage('tokenizer.json edited', (d) => writeFileSync(join(d, 'tokenizer.json'), readFileSync(join(d, 'tokenizer.json'), 'utf8').replace('"[UNK]"', '"[UNX]"'))));
  cases.push(damage('golden.json missing', (d) => rmSync(join(d, 'golden.json'))));
  cases.push(damage('layer_02.onnx missing', (d) => rmSync(join(d, 'layer_02.onnx'))));
  cases.push(damage('two layers swapped in the manifest', (d) => manifest(d, (m) => {
    for (const k of ['layers', 'plainLayers', 'layerWeights']) { const l = m.graphs[k]; [l[1], l[2]] = [l[2], l[1]]; }
  })));
  cases.push(damage('manifest edited to one layer fewer', (d) => manifest(d, (m) => {
    const n = m.architecture.numLayers - 1;
    m.architecture.numLayers = n;
    m.exits = m.exits.filter((e: number) => e <= n);
    for (const k of ['layers', 'plainLayers', 'layerWeights']) m.graphs[k] = m.graphs[k].slice(0, n);
  })));
  cases.push(damage('exits edited', (d) => manifest(d, (m) => { m.exits = m.exits.slice(1); })));
  cases.push(damage('manifest without files table', (d) => manifest(d, (m) => { delete m.files; })));
  cases.push(damage('manifest not JSON', (d) => writeFileSync(join(d, 'manifest.json'), '{ "format": ')));
  cases.push(damage('manifest formatVersion 2', (d) => manifest(d, (m) => { m.formatVersion = 2; })));
  return cases;
}

async function main() {
  const t0 = performance.now();
  const rr: Engine = await createReranker({ model: MODEL, backend: 'wasm' });
  const info = await rr.info();
  const q = 'gene expression in tumor cells';
  const short = ['gene expression is regulated', 'the weather today', 'tumor cells express genes'];
  const cases: Case[] = [];
  const rank = (name: string, query: unknown, passages: unknown, options: unknown, expect: Expect) =>
    cases.push({ name, input: passages, expect, run: () => rr.rank(query as string, passages as string[], options as never) });
  const prog = (name: string, query: unknown, passages: unknown, options: unknown, expect: Expect) =>
    cases.push({ name, input: passages, expect, run: () => rr.rankProgressive(query as string, passages as string[], options as never) });

  // queries
  for (const [k, t] of Object.entries(texts)) {
    const emptyish = k === 'empty' || k === 'whitespace' || k === '1 MB spaces';
    rank(`query: ${k}`, t, short, undefined, emptyish ? { error: 'InputError' } : ranks(short));
  }
  for (const v of [null, undefined, 42, {}, ['q'], Symbol('q')]) rank(`query: ${String(typeof v)} ${Array.isArray(v) ? 'array' : ''}`, v, short, undefined, { error: 'InputError' });
  // passages
  const all = Object.values(texts);
  rank('passages: every odd text at once', q, all, undefined, ranks(all));
  for (const [k, t] of Object.entries(texts)) rank(`passage: ${k}`, q, [t, short[0]], undefined, ranks([t, 1]));
  rank('passages: []', q, [], undefined, ranks([]));
  for (const v of [null, undefined, 'a string', 7, { 0: 'a', length: 1 }, new Set(['a'])]) rank(`passages: ${Object.prototype.toString.call(v)}`, q, v, undefined, { error: 'InputError' });
  for (const v of [null, undefined, 3, {}, ['nested'], Symbol('p')]) rank(`passage item: ${String(typeof v)}`, q, ['ok', v], undefined, { error: 'InputError' });
  // eslint-disable-next-line no-sparse-arrays
  rank('passages: sparse array', q, ['a', , 'b'], undefined, { error: 'InputError' });
  const many = Array.from({ length: 2000 }, (_, i) => `passage ${i} about ${i % 7 ? 'genes' : 'weather'}`);
  rank('passages: 2,000 short, d2', q, many, { config: 'd2' }, ranks(many));
  const empties = Array.from({ length: 50 }, () => '');
  rank('passages: 50 empty strings', q, empties, undefined, ranks(empties));
  // options of rank
  const bad = (name: string, options: unknown, error: string) => rank(`options: ${name}`, q, short, options, { error });
  for (const c of info.configurations.slice(0, 6)) rank(`options: config ${c.name}`, q, short, { config: c.name }, ranks(short));
  bad('config unknown name', { config: 'd9' }, 'ConfigError');
  bad('config depth NaN', { config: { depth: Number.NaN } }, 'ConfigError');
  bad('config depth "4"', { config: { depth: '4' } }, 'ConfigError');
  bad('config depth 4.5', { config: { depth: 4.5 } }, 'ConfigError');
  bad('config compress ratio 3', { config: { depth: 4, compress: { layers: [2], ratio: 3 } } }, 'ConfigError');
  bad('config compress layers []', { config: { depth: 4, compress: { layers: [], ratio: 2 } } }, 'ConfigError');
  bad('config compress layer 1', { config: { depth: 4, compress: { layers: [1], ratio: 2 } } }, 'ConfigError');
  bad('config compress mode max', { config: { depth: 4, compress: { layers: [2], ratio: 2, mode: 'max' } } }, 'ConfigError');
  bad('config number', { config: 4 }, 'ConfigError');
  for (const v of [0, -1, Number.NaN, 2.5, '3', Number.POSITIVE_INFINITY]) bad(`topK ${String(v)}`, { topK: v }, 'OptionsError');
  rank('options: topK 1e9', q, short, { topK: 1e9 }, ranks(short));
  rank('options: topK 2', q, short, { topK: 2 }, ranks(short, 2));
  for (const v of [Number.NaN, -1, 0, '100']) bad(`budgetMs ${String(v)}`, { budgetMs: v }, 'OptionsError');
  bad('budgetMs without a chooser', { budgetMs: 100 }, 'OptionsError');
  rank('options: firstStageScores', q, short, { firstStageScores: [3, 1, 2] }, ranks(short));
  rank('options: firstStageScores of the wrong length', q, short, { firstStageScores: [1, 2] }, { error: 'InputError' });
  bad('firstStageScores with NaN', { firstStageScores: [1, Number.NaN, 2] }, 'OptionsError');
  bad('firstStageScores strings', { firstStageScores: ['1', '2', '3'] }, 'OptionsError');
  bad('fusionWeight -1', { firstStageScores: [1, 2, 3], fusionWeight: -1 }, 'OptionsError');
  bad('fusionWeight without scores', { fusionWeight: 1 }, 'OptionsError');
  bad('options a string', 'd4', 'OptionsError');
  bad('options a number', 4, 'OptionsError');
  rank('options: signal already aborted', q, short, { signal: AbortSignal.abort() }, { error: 'AbortError' });
  // progressive
  const deep = info.numLayers;
  const pgood = { stages: [{ depth: info.exits[0]!, keep: 2 }, { depth: deep }] };
  prog('progressive: valid schedule', q, short, pgood, ranks(short));
  prog('progressive: topK 1', q, short, { ...pgood, topK: 1 }, ranks(short, 1));
  prog('progressive: 1 MB passages', q, all, pgood, ranks(all));
  prog('progressive: no passages', q, [], pgood, ranks([]));
  for (const [name, opts, err] of [
    ['no options', undefined, 'OptionsError'], ['stages []', { stages: [] }, 'OptionsError'], ['stages a string', { stages: '2,4' }, 'OptionsError'],
    ['depth 99 first', { stages: [{ depth: 99, keep: 2 }, { depth: deep }] }, 'ConfigError'], ['depth 99 last', { stages: [{ depth: 2, keep: 2 }, { depth: 99 }] }, 'ConfigError'],
    ['depth NaN', { stages: [{ depth: Number.NaN }] }, 'ConfigError'], ['not deeper', { stages: [{ depth: deep, keep: 2 }, { depth: 2 }] }, 'OptionsError'],
    ['keep 0', { stages: [{ depth: 2, keep: 0 }, { depth: deep }] }, 'OptionsError'], ['keep missing', { stages: [{ depth: 2 }, { depth: deep }] }, 'OptionsError'],
    ['stage null', { stages: [null] }, 'OptionsError'], ['firstStageScores', { ...pgood, firstStageScores: [1, 2, 3] }, 'OptionsError'],
    ['budgetMs', { ...pgood, budgetMs: 50 }, 'OptionsError'], ['topK -1', { ...pgood, topK: -1 }, 'OptionsError'],
  ] as const) prog(`progressive: ${name}`, q, short, opts, { error: err });

  for (const c of cases) await runCase(c);

  // concurrency: 20 calls at once give what the same calls give one by one
  {
    const calls = Array.from({ length: 20 }, (_, i) => ({ query: `${q} ${i}`, passages: short.map((p) => `${p} ${i}`), options: { config: info.configurations[i % 4]!.name } }));
    const seq: RankResult[] = [];
    for (const c of calls) seq.push(await rr.rank(c.query, c.passages, c.options));
    await runCase({
      name: 'concurrency: 20 concurrent calls equal sequential ones',
      expect: { ok: (rs) => { const all = rs as unknown as RankResult[]; return all.every((r, i) => JSON.stringify(r.results) === JSON.stringify(seq[i]!.results)) ? null : 'a concurrent call differs'; } },
      run: () => Promise.all(calls.map((c) => rr.rank(c.query, c.passages, c.options))),
    });
  }
  // abort mid-call, and the next call is still right
  {
    const big = Array.from({ length: 64 }, (_, i) => `${many[i]} ${'word '.repeat(100)}`);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    await runCase({ name: 'abort: mid-call', expect: { error: 'AbortError' }, run: () => rr.rank(q, big, { signal: ctl.signal }) });
    const ref = await rr.rank(q, short);
    await runCase({ name: 'abort: the next call is unaffected', input: short, expect: { ok: (r) => JSON.stringify(r.results) === JSON.stringify(ref.results) ? null : 'differs after an abort' }, run: () => rr.rank(q, short) });
  }
  // dispose: calls made before it complete, calls after it reject
  {
    const e = await createReranker({ model: MODEL, backend: 'wasm' });
    const before = [e.rank(q, short), e.rankProgressive(q, short, pgood)];
    const disposed = e.dispose();
    await runCase({ name: 'dispose: a rank made before dispose completes', input: short, expect: ranks(short), run: () => before[0]! });
    await runCase({ name: 'dispose: a rankProgressive made before dispose completes', input: short, expect: ranks(short), run: () => before[1]! });
    await disposed;
    await runCase({ name: 'dispose: rank after dispose', expect: { error: 'DisposedError' }, run: () => e.rank(q, short) });
    await runCase({ name: 'dispose: info after dispose', expect: { error: 'DisposedError' }, run: () => e.info() });
  }
  await rr.dispose();
  // loading
  await runCase({ name: 'load: no model', expect: { error: 'OptionsError' }, run: () => createReranker({}) });
  await runCase({ name: 'load: missing folder', expect: { error: 'BundleError' }, run: () => createReranker({ model: '/nonexistent/bundle', backend: 'wasm' }) });
  await runCase({ name: 'load: backend cuda', expect: { error: 'OptionsError' }, run: () => createReranker({ model: MODEL, backend: 'cuda' as 'wasm' }) });
  await runCase({ name: 'load: batchSize NaN', expect: { error: 'OptionsError' }, run: () => createReranker({ model: MODEL, batchSize: Number.NaN }) });
  for (const c of await damagedBundles()) await runCase(c);

  console.log(`hostile-input battery on ${MODEL} (Node ${process.version}, WASM), ${((performance.now() - t0) / 1000).toFixed(0)} s:`);
  console.log(`  cases run ${counts.run}, named errors ${counts.namedErrors}, correct results ${counts.correct}, wrong results ${counts.wrong}, hangs ${counts.hangs} (no answer in ${TIMEOUT} ms)`);
  process.exitCode = counts.wrong || counts.hangs ? 1 : 0;
}

main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
