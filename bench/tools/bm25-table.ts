/**
 * BM25 first-stage quality on several BEIR folders, as a Markdown table (bench/README.md).
 *   node --import tsx bench/tools/bm25-table.ts [--root ../shared/datasets]
 *     [--datasets adi,cisi,cranfield,medline,scifact:train:dev] [--top-k 100] [--k1 1.5] [--b 0.75]
 * A dataset is `name[:split[:all|dev|test]]` (split default test; the third part picks the
 * shared dev split of docs/dev-split.md).
 */
import { loadBeir } from '../../tools/data/beir';
import { Bm25Index } from '../../tools/data/bm25';
import { querySplitFilter, type QuerySplitSide } from '../../tools/data/dev-split';
import { evaluateRun } from '../metrics';
import { toolCli } from './cli-frame';

const USAGE = 'usage: bm25-table.ts [--root ../shared/datasets] [--datasets adi,cisi,cranfield,medline,scifact:train:dev] [--top-k 100] [--k1 1.5] [--b 0.75]';

const cli = toolCli('bm25-table', USAGE);
const fail: (message: string) => never = cli.fail;

async function main(): Promise<void> {
  const values = cli.flags({
    root: { type: 'string', default: '../shared/datasets' },
    datasets: { type: 'string', default: 'adi,cisi,cranfield,medline,scifact:train:dev' },
    'top-k': { type: 'string', default: '100' },
    k1: { type: 'string', default: '1.5' },
    b: { type: 'string', default: '0.75' },
  });
  const topK = cli.number('top-k', values['top-k']);
  const params = { k1: cli.number('k1', values.k1), b: cli.number('b', values.b) };
  const rows = ['| dataset | split | queries | docs | nDCG@10 | RR@10 | R@100 | index ms | ms/query |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const spec of values.datasets.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name = '', split = 'test', side = 'all'] = spec.split(':');
    if (side !== 'all' && side !== 'dev' && side !== 'test') fail(`query split of "${spec}" must be all, dev or test.`);
    const ds = await loadBeir(`${values.root}/${name}`, { split, queryFilter: querySplitFilter(side as QuerySplitSide) });
    const t0 = performance.now();
    const index = Bm25Index.build(ds.corpus, params);
    const t1 = performance.now();
    const run = new Map(ds.queries.map((q) => [q.id, index.search(q.text, topK).map((h) => h.id)] as const));
    const t2 = performance.now();
    const { mean } = evaluateRun(run, ds.qrels, { recallK: [100] });
    const f = (x: number | undefined): string => (x ?? 0).toFixed(4);
    const label = side === 'all' ? split : `${split} (${side})`;
    rows.push(`| ${name} | ${label} | ${ds.queries.length} | ${ds.corpus.length} | ${f(mean['nDCG@10'])} | ${f(mean['RR@10'])} | ${f(mean['R@100'])} | ${(t1 - t0).toFixed(0)} | ${((t2 - t1) / Math.max(1, ds.queries.length)).toFixed(2)} |`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

cli.run(main);
