import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pageQuery, parsePageParams } from '../bench/browser/page-params';
import { reportDocument, rowFront } from '../bench/browser/report-html';
import { niceTicks, placeLabel, scatterSvg } from '../bench/browser/svg-scatter';
import { servedUrl } from '../bench/browser/server';
import { medianLatencyRatio } from '../bench/latency';
import { formatTable, type BenchReport } from '../bench/report';
import { prepareMatryoshka, type ModelRow } from '../bench/scenarios/matryoshka';
import { defaultSchedule, depthFlopsRatio, parseSchedules, progressiveFlopsRatio, scheduleName } from '../bench/scenarios/progressive';
import { measureSideBySide } from '../bench/scenarios/rerank';
import { isSkipped, type ScenarioContext } from '../bench/scenarios/scenario';
import { ArgsError } from '../bench/settings';
import type { CalibratedConfig, RankResult, RerankerInterface, RerankerOptions } from '../src/types';

const configs: CalibratedConfig[] = [
  { name: 'd2', depth: 2, flopsRatio: 0.5 },
  { name: 'd4', depth: 4, flopsRatio: 1 },
];

describe('progressive schedules', () => {
  it('parses, names and defaults', () => {
    expect(parseSchedules('2:20,6; 3:10,4:5,6')).toEqual([[{ depth: 2, keep: 20 }, { depth: 6 }], [{ depth: 3, keep: 10 }, { depth: 4, keep: 5 }, { depth: 6 }]]);
    expect(scheduleName([{ depth: 2, keep: 20 }, { depth: 6 }])).toBe('prog d2>20 d6');
    expect(defaultSchedule([4, 2, 6], 6, 100)).toEqual([{ depth: 2, keep: 25 }, { depth: 6 }]);
    expect(defaultSchedule([2, 4], 4, 20)).toEqual([{ depth: 2, keep: 10 }, { depth: 4 }]);
  });
  it('says how to write a schedule', () => {
    expect(() => parseSchedules('2,6')).toThrow(ArgsError);
    expect(() => parseSchedules('2:20')).toThrow(/at least two stages/);
    expect(() => parseSchedules('2:0,6')).toThrow(/depth:keep/);
  });
  it('counts the FLOPs the stages spent', () => {
    expect(depthFlopsRatio(3, 4, configs)).toBe(0.75); // no row for d3: depth / numLayers
    // All 10 at d2 (0.5), then 3 at d4 from the embeddings (1.0 each).
    expect(progressiveFlopsRatio([{ depth: 2, scored: 10, resumed: false }, { depth: 4, scored: 3, resumed: false }], 10, 4, configs)).toBeCloseTo(0.8, 12);
    // Resumed: the 3 only pay layers 3..4.
    expect(progressiveFlopsRatio([{ depth: 2, scored: 10, resumed: false }, { depth: 4, scored: 3, resumed: true }], 10, 4, configs)).toBeCloseTo(0.65, 12);
  });
});

describe('latency ratios', () => {
  it('takes the median of per-query ratios over the queries both timed', () => {
    const ref = new Map([['a', 10], ['b', 20], ['c', 40]]);
    expect(medianLatencyRatio(new Map([['a', 5], ['b', 5], ['c', 40], ['z', 1]]), ref)).toBe(0.5);
    expect(medianLatencyRatio(new Map([['z', 1]]), ref)).toBeNull();
  });
});

function context(): { ctx: ScenarioContext; progress: string[] } {
  const corpus = ['alpha', 'beta', 'gamma'].map((text, i) => ({ id: `d${i}`, title: '', text }));
  const queries = [{ id: 'q1', text: 'one' }, { id: 'q2', text: 'two' }, { id: 'q3', text: 'three' }];
  const hits = corpus.map((d, index) => ({ index, id: d.id, score: 3 - index }));
  const progress: string[] = [];
  const ctx: ScenarioContext = {
    args: { dataset: 'x', split: 'test', querySplit: 'all', model: 'm', configs: 'all', queries: undefined, topK: 3, backend: 'wasm' },
    dataset: {
      location: 'x', split: 'test', corpus, corpusById: new Map(corpus.map((d) => [d.id, d])), queries, warnings: [],
      qrels: new Map(queries.map((q) => [q.id, new Map([['d2', 1]])])),
    },
    queries,
    candidates: new Map(queries.map((q) => [q.id, hits])),
    log: () => {},
    progress: (p) => {
      progress.push(`${p.done}:${p.system}`);
    },
  };
  return { ctx, progress };
}

describe('measureSideBySide', () => {
  it('runs every system on a query before the next, rotating the order, and evaluates each', async () => {
    const { ctx, progress } = context();
    const calls: string[] = [];
    const system = (label: string, scores: number[]) => ({
      label,
      score: async (query: string) => {
        calls.push(`${label}:${query}`);
        return scores;
      },
    });
    // Candidates d0, d1, d2; d2 is the relevant one.
    const [a, b] = await measureSideBySide(ctx, [system('A', [0, 1, 2]), system('B', [2, 1, 0])], { warmup: 1 });
    expect(calls).toEqual(['A:one', 'B:one', 'A:one', 'B:one', 'B:two', 'A:two', 'A:three', 'B:three']);
    expect(a?.result.metrics['RR@10']).toBe(1); // A puts d2 first, B last
    expect(b?.result.metrics['RR@10']).toBeCloseTo(1 / 3, 12);
    expect(a?.result.latency.count).toBe(3);
    expect([...(b?.perQueryMs.keys() ?? [])]).toEqual(['q1', 'q2', 'q3']);
    expect(progress).toEqual(['0:A', '0:B', '1:B', '1:A', '2:A', '2:B', '3:evaluation']);
  });
  it('rejects a scorer that returns the wrong number of scores', async () => {
    const { ctx } = context();
    await expect(measureSideBySide(ctx, [{ label: 'bad', score: async () => [1] }], { warmup: 0 })).rejects.toThrow(/bad: got 1 scores for 3 passages/);
  });
});

const latency = (medianMs: number) => ({ count: 2, medianMs, p95Ms: medianMs * 1.5, meanMs: medianMs });
const metrics = (ndcg: number) => ({ 'nDCG@10': ndcg, 'RR@10': ndcg, 'R@10': 1 });
function row(config: string, flopsRatio: number, ndcg: number, ms: number, latencyRatio: number): ModelRow {
  return { config, depth: 4, compress: null, flopsRatio, dataFlopsRatio: flopsRatio + 0.04, latencyRatio, calibratedDevNdcg10: null, metrics: metrics(ndcg), latency: latency(ms), modelLatency: latency(ms), truncatedShare: 0 };
}
function report(): BenchReport {
  return {
    dataset: { name: 'adi', location: 'x/adi', split: 'test', querySplit: 'all', documents: 82 },
    backend: 'wasm',
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 4, os: 'linux', runtime: 'Chromium' },
    queries: 2, topK: 10,
    model: { location: 'm', name: 'tiny', numLayers: 4, backend: 'wasm', backendReason: 'WASM requested' },
    fullConfig: 'd4',
    rows: [row('d4', 1, 0.5, 100, 1), row('d2', 0.5, 0.45, 60, 0.6), row('d2-slow', 0.6, 0.4, 90, 0.9)],
    peers: {
      bm25: { metrics: metrics(0.3), latency: latency(0.2), indexMs: 1, documents: 82, params: { k1: 1.5, b: 0.75, stemming: true } },
      transformersjs: { metrics: metrics(0.5), latency: latency(200), device: 'wasm', version: '4', tokenization: 'engine', latencyRatio: 2, batching: 'input-order', paddingOverhead: 1.25 },
      transformersjsSameBatches: { metrics: metrics(0.5), latency: latency(90), device: 'wasm', version: '4', tokenization: 'engine', latencyRatio: 0.9, batching: 'engine-buckets', paddingOverhead: 1.02 },
    },
    createdAt: '2024-01-01T00:00:00Z',
  };
}

describe('report output', () => {
  it('prints the latency ratio next to the FLOPs ratio and the speed against transformers.js', () => {
    const lines = formatTable(report()).split('\n');
    expect(lines[1]).toMatch(/^system\s+flops\s+flops \(data\)\s+lat\/full\s+nDCG@10\s+RR@10\s+R@10\s+median ms/); // top-k 10: one R@10 column
    expect(lines.find((l) => l.startsWith('d2 '))).toMatch(/^d2\s+0\.50\s+0\.54\s+0\.60\s+0\.4500/);
    expect(lines).toContain('full configuration d4 takes 0.50 of the time of (is 2.00x faster than) transformers.js (wasm) batched in input order, same token ids (median per-query time ratio; peer padding overhead 1.25)');
    expect(lines).toContain("full configuration d4 takes 1.11 of the time of (is 1.11x slower than) transformers.js (wasm) on the engine's own length buckets, same token ids (median per-query time ratio; peer padding overhead 1.02)");
    expect(lines.find((l) => l.startsWith('transformers.js (wasm, engine-buckets)'))).toMatch(/\s0\.90\s/);
  });
  it('marks the Pareto front and draws three plots', () => {
    const r = report();
    expect([...rowFront(r.rows, (x) => x.latency.medianMs)].sort()).toEqual([0, 1]); // d2-slow is beaten by d2
    const html = reportDocument(r);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('<th>d2-slow</th>');
  });
});

describe('svg scatter', () => {
  it('ticks, markers and labels that do not overlap', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const area = { x0: 0, y0: 0, x1: 400, y1: 300 };
    const first = placeLabel(100, 100, 60, [], area);
    const second = placeLabel(100, 100, 60, first ? [first] : [], area);
    expect(first && second && (second.x1 <= first.x0 || second.x0 >= first.x1 || second.y1 <= first.y0 || second.y0 >= first.y1)).toBe(true);
    const svg = scatterSvg([{ x: 1, y: 1, label: 'a', kind: 'front' }, { x: 2, y: 2, label: 'b', kind: 'peer' }, { x: Number.NaN, y: 1, label: 'skip', kind: 'model' }], { front: [0] });
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg.match(/<rect x=/g)?.length).toBe(3); // frame, clip, peer square
  });
});

describe('a reference bundle (--reference-model)', () => {
  const fake = (precision: 'float16' | 'int8', scoreOf: (p: string) => number): RerankerInterface => ({
    rank: async (_q, passages) => ({ results: passages.map((p, index) => ({ index, score: scoreOf(p), truncated: false })), timings: { modelMs: 1 }, shape: { qLen: 1, lengths: passages.map((p) => p.length + 4), limits: { batchSize: 8, maxBatchTokens: 512 } } }) as unknown as RankResult,
    rankProgressive: async () => { throw new Error('no schedules on a reference bundle'); },
    info: async () => ({ name: precision, numLayers: 4, hiddenSize: 8, intermediateSize: 32, exits: [2, 4], ratios: [], configurations: configs, maxQueryTokens: 8, maxPassageTokens: 8, precision, backend: 'wasm', reason: 'test' }),
    dispose: async () => {},
  });
  const ctx = (): ScenarioContext => ({
    args: { dataset: 'd', split: 'test', querySplit: 'all', model: 'int8-dir', configs: 'all', queries: undefined, topK: 2, backend: 'wasm', progressive: [[{ depth: 2, keep: 1 }, { depth: 4 }]] },
    dataset: { corpus: [], queries: [], qrels: new Map(), warnings: [] } as unknown as ScenarioContext['dataset'],
    queries: [], candidates: new Map(), log: () => {}, progress: () => {},
  });
  it('runs the same configurations under names tagged with its precision, without schedules', async () => {
    const made: string[] = [];
    const create = async (o: RerankerOptions): Promise<RerankerInterface> => { made.push(String(o.model)); return fake(o.model === 'float-dir' ? 'float16' : 'int8', (p) => p.length); };
    const main = await prepareMatryoshka(ctx(), create);
    const ref = await prepareMatryoshka(ctx(), create, {}, { location: 'float-dir', reference: { samePrecisionAs: 'int8' } });
    const same = await prepareMatryoshka(ctx(), create, {}, { location: 'int8-dir', reference: { samePrecisionAs: 'int8' } });
    if (isSkipped(main) || isSkipped(ref) || isSkipped(same)) throw new Error('skipped');
    expect(made).toEqual(['int8-dir', 'float-dir', 'int8-dir']);
    expect(main.systems.map((s) => s.label)).toEqual(['matryoshka d2', 'matryoshka d4', 'matryoshka prog d2>1 d4']);
    expect(ref.systems.map((s) => s.label)).toEqual(['matryoshka d2@float16', 'matryoshka d4@float16']);
    expect([main.fullConfig, ref.fullConfig, same.fullConfig]).toEqual(['d4', 'd4@float16', 'd4@ref']);
    expect([main.model.precision, ref.model.precision, ref.model.location]).toEqual(['int8', 'float16', 'float-dir']);
  });
});

describe('browser page parameters', () => {
  it('round-trips through the URL', () => {
    const q = pageQuery({ dataset: '/@fs/d/adi', model: '/m', configs: ['d2', 'd4'], queries: 3, topK: 10, backend: 'webgpu', progressive: '2:3,4', threads: 1, transformersjs: false, peerDtype: 'q8', referenceModel: '/f' });
    expect(parsePageParams(`?${q}`)).toEqual({
      settings: { dataset: '/@fs/d/adi', model: '/m', split: 'test', querySplit: 'all', backend: 'webgpu', configs: ['d2', 'd4'], queries: 3, topK: 10, referenceModel: '/f' },
      progressive: [[{ depth: 2, keep: 3 }, { depth: 4 }]], threads: 1, transformersjs: false, peerDtype: 'q8',
    });
    expect(parsePageParams('?dataset=a&model=b').peerDtype).toBe('fp32');
    expect(() => parsePageParams('?dataset=a&model=b&peerDtype=q4')).toThrow(/peerDtype must be fp32 or q8/);
    expect(parsePageParams('?dataset=a&model=b').progressive).toBe('default');
    expect(() => parsePageParams('?dataset=a')).toThrow(/needs \?dataset=/);
    expect(() => parsePageParams('?dataset=a&model=b&backend=cuda')).toThrow(/backend must be wasm or webgpu/);
  });
  it('maps folders to URLs of the served root', () => {
    const root = resolve('.');
    expect(servedUrl(root, 'test/fixtures/tiny', '--model')).toBe('/test/fixtures/tiny');
    expect(servedUrl(root, '/tmp', '--dataset')).toBe('/@fs/tmp');
    expect(servedUrl(root, 'http://h/x/', '--model')).toBe('http://h/x');
    expect(() => servedUrl(root, 'no/such/folder', '--dataset')).toThrow(/is not a folder.*corpus\.jsonl/);
  });
});
