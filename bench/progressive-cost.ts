/**
 * Progressive re-ranking vs scoring every candidate at full depth, on one query (Node, WASM):
 *
 *   node --import tsx bench/progressive-cost.ts --model <bundle> [--passages 100] [--runs 5]
 *     [--stages 2:30,4:10,6] [--dataset ../shared/datasets/scifact] [--query-index 0] [--threads 1]
 *
 * The candidates are the BM25 top `--passages` of one scifact query (or, without the dataset,
 * a small inline set repeated). Direct full-depth `rank` and `rankProgressive` run interleaved
 * (alternating which goes first, after one warm-up call each) and the median / p95 times and
 * their ratio are printed: the cost is printed, never asserted. Exactness is checked: every
 * stage's scores must equal a direct `rank` at that stage's depth (max abs difference printed;
 * over 1e-4 the script exits 1).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCorpus, readQueries } from '../tools/data/beir';
import { Bm25Index, documentText } from '../tools/data/bm25';
import { createReranker } from '../src/index';
import type { Engine } from '../src/engine';
import type { ProgressiveResult, ProgressiveStage, RankResult } from '../src/types';
import { summarize } from './latency';
import { describeMachine } from './machine';
import { parseSchedule, scheduleName } from './scenarios/progressive';

const EXACT_TOLERANCE = 1e-4;
const DEFAULT_DATASET = resolve(import.meta.dirname, '../../shared/datasets/scifact');

const USAGE = 'usage: node --import tsx bench/progressive-cost.ts --model <bundle> [--passages 100] [--runs 5] '
  + '[--stages 2:30,4:10,6] [--dataset <BEIR dir>] [--query-index 0] [--threads 1]';

interface Args {
  model: string;
  passages: number;
  runs: number;
  stages: ProgressiveStage[] | null;
  dataset: string | null;
  queryIndex: number;
  threads: number;
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${text}"\n${USAGE}`);
  return n;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, passages: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' },
      stages: { type: 'string' }, dataset: { type: 'string' }, 'query-index': { type: 'string', default: '0' },
      threads: { type: 'string', default: '1' },
    },
  });
  if (!values.model) throw new Error(`--model is required\n${USAGE}`);
  const dataset = values.dataset ?? (existsSync(join(DEFAULT_DATASET, 'corpus.jsonl')) ? DEFAULT_DATASET : null);
  if (values.dataset && !existsSync(join(values.dataset, 'corpus.jsonl'))) throw new Error(`--dataset ${values.dataset}: no corpus.jsonl there`);
  return {
    model: values.model,
    passages: count('passages', values.passages, 1),
    runs: count('runs', values.runs, 1),
    stages: values.stages ? parseSchedule(values.stages) : null,
    dataset,
    queryIndex: count('query-index', values['query-index'], 0),
    threads: count('threads', values.threads, 1),
  };
}

/** Default schedule: shallowest exit keeps 30, an exit half-way keeps 10, then full depth. */
function defaultStages(exits: readonly number[], numLayers: number): ProgressiveStage[] {
  const below = [...exits].filter((e) => e < numLayers).sort((a, b) => a - b);
  const first = below[0];
  if (first === undefined) throw new Error('the bundle has no exit below its full depth: nothing to stage');
  const middle = below.find((e) => e >= numLayers / 2 && e > first) ?? below[below.length - 1]!;
  return middle > first
    ? [{ depth: first, keep: 30 }, { depth: middle, keep: 10 }, { depth: numLayers }]
    : [{ depth: first, keep: 10 }, { depth: numLayers }];
}

const INLINE = [
  'Vitamin D supplementation reduced acute respiratory tract infections in a meta-analysis of randomised trials.',
  'Respiratory infections are common in winter and spread through droplets.',
  'Serum 25-hydroxyvitamin D rose in the treated group of the cholecalciferol trial.',
  'The aircraft wing was tested at supersonic speeds in a wind tunnel.',
  'Cholecalciferol is the form of vitamin D made in the skin under ultraviolet light.',
  'Placebo-controlled trials are the standard design for testing supplements.',
  'Influenza vaccination lowers hospital admissions among older adults.',
  'Deep learning models rank passages by estimating relevance to a query.',
];

/** The query and candidates: BM25 top-N of a scifact query, or the inline set repeated. */
async function candidates(a: Args): Promise<{ query: string; passages: string[]; source: string }> {
  if (!a.dataset) {
    const passages = Array.from({ length: a.passages }, (_, i) => `${INLINE[i % INLINE.length]} (${i})`);
    return { query: 'Does vitamin D supplementation reduce respiratory infections?', passages, source: 'inline passages (no dataset found)' };
  }
  const [corpus, queries] = await Promise.all([readCorpus(join(a.dataset, 'corpus.jsonl')), readQueries(join(a.dataset, 'queries.jsonl'))]);
  const q = queries[a.queryIndex];
  if (!q) throw new Error(`--query-index ${a.queryIndex}: ${a.dataset}/queries.jsonl has ${queries.length} queries`);
  const hits = Bm25Index.build(corpus).search(q.text, a.passages);
  const passages = hits.map((h) => documentText(corpus[h.index]!));
  return { query: q.text, passages, source: `BM25 top ${passages.length} of ${a.dataset} (query ${q.id})` };
}

/** Max |stage score - direct score| over the rows the stage scored (those ranked at its depth). */
function maxStageDiff(stage: ProgressiveResult['stages'][number], direct: RankResult): number {
  const byIndex = new Map(direct.results.map((r) => [r.index, r.score]));
  let max = 0;
  let rows = 0;
  for (const r of stage.results) {
    if (r.depth !== stage.depth) continue;
    const want = byIndex.get(r.index);
    if (want === undefined) throw new Error(`direct rank has no score for passage ${r.index}`);
    max = Math.max(max, Math.abs(r.score - want));
    rows++;
  }
  if (rows !== stage.scored) throw new Error(`stage at depth ${stage.depth} reports ${stage.scored} scored rows but ranks ${rows} at that depth`);
  return max;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const fmt = (ms: number): string => ms.toFixed(1).padStart(9);

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  const engine: Engine = await createReranker({ model: a.model, backend: 'wasm', numThreads: a.threads });
  try {
    const info = await engine.info();
    const L = info.numLayers;
    const stages = a.stages ?? defaultStages(info.exits, L);
    const { query, passages, source } = await candidates(a);
    const direct = () => engine.rank(query, passages, { config: { depth: L } });
    const progressive = () => engine.rankProgressive(query, passages, { stages });

    await direct();
    await progressive();
    const times = { direct: [] as number[], progressive: [] as number[] };
    let last: ProgressiveResult | null = null;
    let full: RankResult | null = null;
    for (let run = 0; run < a.runs; run++) {
      const order = run % 2 === 0 ? (['direct', 'progressive'] as const) : (['progressive', 'direct'] as const);
      for (const which of order) {
        if (which === 'direct') { const t = await timed(direct); times.direct.push(t.ms); full = t.value; }
        else { const t = await timed(progressive); times.progressive.push(t.ms); last = t.value; }
      }
    }
    if (!last || !full) throw new Error('no timed runs');

    const d = summarize(times.direct);
    const p = summarize(times.progressive);
    const m = describeMachine();
    console.log(`progressive re-ranking vs direct full depth (${m.cpu}, ${m.cores} cores, ${m.runtime}, WASM, ${a.threads} thread(s))`);
    console.log(`model: ${a.model} (${info.name}, ${L} layers, exits ${info.exits.join(',')})`);
    console.log(`candidates: ${source}; query: "${query}"`);
    console.log(`schedule: ${scheduleName(stages)}; ${a.runs} timed runs each, interleaved, after 1 warm-up`);
    console.log('');
    console.log(`${''.padEnd(34)}median ms   p95 ms`);
    console.log(`${`direct d${L} (all ${passages.length})`.padEnd(32)}${fmt(d.medianMs)}${fmt(d.p95Ms)}`);
    console.log(`${`progressive ${scheduleName(stages).slice(5)}`.padEnd(32)}${fmt(p.medianMs)}${fmt(p.p95Ms)}`);
    console.log(`time ratio progressive / direct: median ${(p.medianMs / d.medianMs).toFixed(3)}, p95 ${(p.p95Ms / d.p95Ms).toFixed(3)}`);

    let layerRows = 0;
    const terms = last.stages.map((s, i) => {
      const layers = s.resumed ? s.depth - (last!.stages[i - 1]?.depth ?? 0) : s.depth;
      layerRows += layers * s.scored;
      return `${s.scored}x${layers}`;
    });
    console.log(`layer-rows: progressive ${terms.join(' + ')} = ${layerRows} vs direct ${passages.length}x${L} = ${passages.length * L} (${(layerRows / (passages.length * L)).toFixed(3)})`);

    console.log('');
    console.log('exactness: max |stage score - direct rank at that depth| over the rows each stage scored');
    let worst = 0;
    for (const [i, s] of last.stages.entries()) {
      const ref = s.depth === L ? full : await engine.rank(query, passages, { config: { depth: s.depth } });
      const diff = maxStageDiff(s, ref);
      worst = Math.max(worst, diff);
      console.log(`  stage ${i + 1} d${s.depth}: ${String(s.scored).padStart(4)} rows, resumed ${s.resumed ? 'yes' : 'no '}, max abs diff ${diff.toExponential(2)}`);
    }
    const top = (r: RankResult) => new Set(r.results.slice(0, 10).map((x) => x.index));
    const directTop = top(full);
    const overlap = [...top(last)].filter((i) => directTop.has(i)).length;
    console.log(`top-10 overlap of progressive with direct d${L}: ${overlap}/${Math.min(10, passages.length)}`);
    if (worst > EXACT_TOLERANCE) {
      console.log(`NOT EXACT: a stage differs from direct rank by ${worst.toExponential(2)} > ${EXACT_TOLERANCE}`);
      return 1;
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
