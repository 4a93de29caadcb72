import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { driveBenchPage } from '../bench/browser/drive';
import { reportDocument } from '../bench/browser/report-html';
import { servedUrl } from '../bench/browser/server';
import type { BenchReport } from '../bench/report';
import { runBenchmark } from '../bench/suite-node';
import { type E2EContext, skip } from './run';

/**
 * The browser benchmark suite, small: the tiny random bundle on a few adi queries. Correctness
 * only (no timing claims): same report shape and same quality numbers as the Node CLI on the same
 * settings, the transformers.js peer agreeing with the full configuration (same token ids),
 * re-ranking never changing recall at the candidate depth, and the HTML report rendering.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const adi = resolve(root, '../shared/datasets/adi');
const tiny = join(root, 'test/fixtures/tiny');

/** Keys of an object tree (arrays: their first element), to compare report shapes. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value === null || typeof value !== 'object') return typeof value === 'number' || value === null ? 'number|null' : typeof value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
}

function checkRecall(report: BenchReport): void {
  const at = `R@${report.topK}`;
  for (const r of report.rows) assert.equal(r.metrics[at], report.peers.bm25.metrics[at], `${r.config}: re-ranking the same candidates cannot change ${at}`);
}

function checkPeer(report: BenchReport, tolerance: number): void {
  const hf = report.peers.transformersjs;
  assert.ok(!('skipped' in hf), `transformers.js peer skipped: ${'skipped' in hf ? hf.skipped : ''}`);
  const full = report.rows.find((r) => r.config === report.fullConfig);
  assert.ok(full, `no row for the full configuration ${report.fullConfig}`);
  assert.ok(Math.abs((hf.metrics['nDCG@10'] ?? -1) - (full.metrics['nDCG@10'] ?? -2)) < tolerance, `hf/ model and ${full.config} must rank alike: ${hf.metrics['nDCG@10']} vs ${full.metrics['nDCG@10']}`);
  assert.ok(hf.latencyRatio !== null && hf.latencyRatio > 0, 'transformers.js latency ratio measured');
  const same = report.peers.transformersjsSameBatches;
  assert.ok(same && !('skipped' in same), 'transformers.js on the engine\'s buckets measured too');
  assert.ok(Math.abs((same.metrics['nDCG@10'] ?? -1) - (hf.metrics['nDCG@10'] ?? -2)) < 1e-6, 'both batchings of the peer rank alike');
  assert.ok(same.paddingOverhead <= hf.paddingOverhead + 1e-9, `length buckets pad no more than input order: ${same.paddingOverhead} vs ${hf.paddingOverhead}`);
}

export const tests = {
  async 'bench: browser suite on WASM matches the Node CLI, renders the report'({ browser, baseUrl, outDir }: E2EContext) {
    if (!existsSync(join(adi, 'corpus.jsonl'))) skip(`no dataset at ${adi}`);
    const settings = { configs: ['d2', 'd2-c2-r4'], queries: 3, topK: 10, progressive: '2:3,4' };
    const { report } = await driveBenchPage(browser, baseUrl, {
      dataset: servedUrl(root, adi, '--dataset'), model: servedUrl(root, tiny, '--model'), backend: 'wasm', ...settings,
    }, { timeoutMs: 300_000 });
    assert.equal(report.queries, 3);
    assert.equal(report.backend, 'wasm');
    assert.ok(!('skipped' in report.model) && report.model.backend === 'wasm', JSON.stringify(report.model));
    assert.equal(report.fullConfig, 'd4');
    assert.deepEqual(report.rows.map((r) => r.config), ['d2', 'd4', 'd2-c2-r4', 'prog d2>3 d4'], 'manifest order, the full configuration added, then the schedule');
    for (const r of report.rows) {
      assert.equal(r.latency.count, 3, `${r.config}: every query timed`);
      assert.ok(r.latencyRatio !== null && r.latencyRatio > 0, `${r.config}: latency ratio`);
    }
    assert.equal(report.rows.find((r) => r.config === 'd4')?.latencyRatio, 1);
    const prog = report.rows.find((r) => r.progressive);
    // d2 on all 10 candidates, then d4 (1.0) from the embeddings on 3 of them (flopsRatio of the manifest)
    const d2 = (JSON.parse(readFileSync(join(tiny, 'manifest.json'), 'utf8')) as { configurations: { name: string; flopsRatio: number }[] })
      .configurations.find((c) => c.name === 'd2')!.flopsRatio;
    assert.ok(prog && Math.abs(prog.flopsRatio - (d2 + 1.0 * 3 / 10)) < 1e-9, `progressive flops ${prog?.flopsRatio}, d2 ${d2}`);
    checkRecall(report);
    checkPeer(report, 1e-6);

    // The Node CLI on the same settings: same shape, same quality (only the runtime differs).
    const node = await runBenchmark({
      dataset: adi, model: tiny, split: 'test', querySplit: 'all', backend: 'wasm', configs: settings.configs, queries: 3, topK: 10,
      progressive: [[{ depth: 2, keep: 3 }, { depth: 4 }]],
    }, { log: () => {} });
    const { machine: _m1, ...browserShape } = shape(report) as Record<string, unknown>;
    const { machine: _m2, ...nodeShape } = shape(node) as Record<string, unknown>;
    assert.deepEqual(browserShape, nodeShape, 'the browser report has the CLI report\'s shape');
    for (const [i, r] of node.rows.entries()) {
      const b = report.rows[i];
      assert.equal(b?.config, r.config);
      assert.ok(Math.abs((b.metrics['nDCG@10'] ?? -1) - (r.metrics['nDCG@10'] ?? -2)) < 1e-6, `${r.config}: browser ${b.metrics['nDCG@10']} vs Node ${r.metrics['nDCG@10']}`);
    }
    assert.deepEqual(report.peers.bm25.metrics, node.peers.bm25.metrics, 'same BM25 first stage');

    // The HTML report: three plots, one table row per system.
    const html = reportDocument(report);
    writeFileSync(join(outDir, 'bench-report.html'), html);
    const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
    try {
      await page.setContent(html);
      assert.equal(await page.locator('svg').count(), 3);
      assert.equal(await page.locator('tbody tr').count(), report.rows.length + 3, 'bm25, our rows, transformers.js in input order and on our buckets');
      await page.screenshot({ path: join(outDir, 'bench-report.png'), fullPage: true });
    } finally {
      await page.close();
    }
  },

  async 'bench: browser suite on WebGPU (SwiftShader), 1 query, correctness only'({ browser, baseUrl }: E2EContext) {
    if (!existsSync(join(adi, 'corpus.jsonl'))) skip(`no dataset at ${adi}`);
    const { report } = await driveBenchPage(browser, baseUrl, {
      dataset: servedUrl(root, adi, '--dataset'), model: servedUrl(root, tiny, '--model'), backend: 'webgpu',
      configs: ['d2-c2-r4'], queries: 1, topK: 5, progressive: 'none', // SwiftShader: ~10 s per call
    }, { timeoutMs: 300_000 });
    assert.ok(!('skipped' in report.model) && report.model.backend === 'webgpu', JSON.stringify(report.model));
    assert.deepEqual(report.rows.map((r) => r.config), ['d4', 'd2-c2-r4']);
    checkRecall(report);
    checkPeer(report, 1e-4);
    const hf = report.peers.transformersjs;
    assert.equal('device' in hf ? hf.device : undefined, 'webgpu');
  },
};
