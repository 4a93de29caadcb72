import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../bench/cli';
import { quantile, summarize } from '../bench/latency';
import { formatTable, type BenchReport } from '../bench/report';
import { selectConfigs } from '../bench/scenarios/matryoshka';
import { ArgsError } from '../bench/settings';
import { runBenchmark } from '../bench/suite-node';
import type { CalibratedConfig } from '../src/types';

const base = ['--dataset', 'd', '--model', 'm', '--out', 'o.json'];

describe('parseBenchArgs', () => {
  it('applies the defaults', () => {
    expect(parseBenchArgs(base)).toEqual({
      dataset: 'd', split: 'test', querySplit: 'all', model: 'm', configs: 'all', queries: undefined, topK: 100, backend: 'wasm', out: 'o.json', peerDtype: 'fp32',
    });
  });
  it('reads every option, including a dev-split half', () => {
    const a = parseBenchArgs([...base, '--split', 'train:dev', '--configs', 'd6, d4-c2-r4', '--queries', '20', '--top-k', '30', '--backend', 'webgpu']);
    expect(a).toMatchObject({ split: 'train', querySplit: 'dev', configs: ['d6', 'd4-c2-r4'], queries: 20, topK: 30, backend: 'webgpu' });
    expect(parseBenchArgs([...base, '--peer-dtype', 'q8']).peerDtype).toBe('q8');
  });
  it('says what is wrong', () => {
    expect(() => parseBenchArgs(['--dataset', 'd'])).toThrow(/missing --model, --out/);
    expect(() => parseBenchArgs([...base, '--backend', 'cuda'])).toThrow(/--backend must be wasm or webgpu, got "cuda"/);
    expect(() => parseBenchArgs([...base, '--queries', '2.5'])).toThrow(/--queries must be a positive integer/);
    expect(() => parseBenchArgs([...base, '--split', 'train:half'])).toThrow(/--split must be/);
    expect(() => parseBenchArgs([...base, '--peer-dtype', 'int4'])).toThrow(/--peer-dtype must be fp32 or q8, got "int4"/);
    expect(() => parseBenchArgs([...base, '--bogus', '1'])).toThrow(ArgsError);
  });
});

describe('latency summary', () => {
  it('interpolates quantiles like numpy', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 0.95)).toBe(20);
    expect(quantile([1, 2], 0.95)).toBeCloseTo(1.95, 12);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
    expect(summarize([1, 2, 3])).toEqual({ count: 3, medianMs: 2, p95Ms: 2.9, meanMs: 2 });
  });
});

describe('selectConfigs', () => {
  const configs: CalibratedConfig[] = [
    { name: 'd6', depth: 6, flopsRatio: 1 },
    { name: 'd4', depth: 4, flopsRatio: 0.66 },
  ];
  it('keeps manifest order and lists valid names for a typo', () => {
    expect(selectConfigs(configs, ['d4', 'd6']).map((c) => c.name)).toEqual(['d6', 'd4']);
    expect(selectConfigs(configs, 'all')).toHaveLength(2);
    expect(() => selectConfigs(configs, ['d5'])).toThrow(/unknown configuration\(s\) "d5".*The bundle has: d6, d4/);
  });
});

describe('formatTable', () => {
  it('prints one line per system and the reasons for skipped ones', () => {
    const latency = { count: 2, medianMs: 12.25, p95Ms: 20, meanMs: 13 };
    const report: BenchReport = {
      dataset: { name: 'adi', location: 'x/adi', split: 'test', querySplit: 'all', documents: 82 },
      backend: 'wasm',
      machine: { cpu: 'cpu', cores: 2, memoryGiB: 4, os: 'linux', runtime: 'Node' },
      queries: 2,
      topK: 100,
      model: { skipped: 'src/index.ts does not export createReranker yet' },
      rows: [],
      peers: {
        bm25: { metrics: { 'nDCG@10': 0.5, 'RR@10': 0.75, 'R@10': 0.5, 'R@100': 1 }, latency: { ...latency, medianMs: 0.5 }, indexMs: 1, documents: 82, params: { k1: 1.5, b: 0.75, stemming: false } },
        transformersjs: { skipped: 'no hf/' },
      },
      createdAt: '2024-01-01T00:00:00Z',
    };
    const lines = formatTable(report).split('\n');
    expect(lines[0]).toBe('adi (test), 2 queries, top 100, wasm');
    expect(lines[2]).toMatch(/^bm25\s+-\s+-\s+-\s+0\.5000\s+0\.7500\s+0\.5000\s+1\.0000\s+0\.50\s+20\.0$/);
    expect(lines.slice(3)).toEqual(['model rows: src/index.ts does not export createReranker yet', 'transformers.js: no hf/']);
  });
});

describe('runBenchmark (tiny fixture bundle on adi)', () => {
  const adi = '../shared/datasets/adi';
  it.skipIf(!existsSync(`${adi}/corpus.jsonl`))('runs BM25, one configuration and the transformers.js peer on the same candidates', async () => {
    const args = parseBenchArgs(['--dataset', adi, '--model', 'test/fixtures/tiny', '--configs', 'd4', '--queries', '3', '--top-k', '10', '--out', 'unused.json']);
    const report = await runBenchmark(args, { log: () => {} });
    expect(report.queries).toBe(3);
    expect(report.peers.bm25.latency.count).toBe(3);
    const row = report.rows[0];
    if (!row) throw new Error(`no model row: ${JSON.stringify(report.model)}`);
    expect(report.rows.map((r) => r.config)).toEqual(['d4']);
    expect(row.latency.count).toBe(3);
    expect(row.latency.p95Ms).toBeGreaterThanOrEqual(row.latency.medianMs);
    // Re-ranking permutes the same 10 candidates: recall at the candidate depth cannot change.
    expect(row.metrics['R@10']).toBeCloseTo(report.peers.bm25.metrics['R@10'] ?? -1, 12);
    const hf = report.peers.transformersjs;
    if ('skipped' in hf) throw new Error(hf.skipped);
    // hf/ holds the same weights as the full-depth configuration (docs/bundle-format.md).
    expect(hf.metrics['nDCG@10']).toBeCloseTo(row.metrics['nDCG@10'] ?? -1, 6);
    // Both batchings of the peer run on the same rows: same scores, and input order pads at least as much.
    const same = report.peers.transformersjsSameBatches;
    if (!same || 'skipped' in same) throw new Error('no engine-buckets peer');
    expect(same.metrics['nDCG@10']).toBeCloseTo(hf.metrics['nDCG@10'] ?? -1, 6);
    expect([hf.batching, same.batching]).toEqual(['input-order', 'engine-buckets']);
    expect(hf.paddingOverhead).toBeGreaterThanOrEqual(same.paddingOverhead);
  });
});
