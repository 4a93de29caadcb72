/**
 * Writes the BM25 first stage's run for a BEIR folder as a TREC run file.
 *   node --import tsx bench/tools/bm25-run.ts --dataset ../shared/datasets/adi [--split test]
 *     [--query-split all|dev|test] [--top-k 100] [--out run.trec]
 * Without --out the run goes to stdout. Used by trainer/tests/test_metrics_reference.py.
 */
import { writeFileSync } from 'node:fs';
import { loadBeir } from '../../tools/data/beir';
import { Bm25Index } from '../../tools/data/bm25';
import { querySplitFilter, type QuerySplitSide } from '../../tools/data/dev-split';
import { formatTrecRun, type ScoredRun } from './trec-run';
import { toolCli } from './cli-frame';

const USAGE = 'usage: bm25-run.ts --dataset <BEIR dir> [--split test] [--query-split all|dev|test] [--top-k 100] [--out run.trec]';

const cli = toolCli('bm25-run', USAGE);
const fail: (message: string) => never = cli.fail;

async function main(): Promise<void> {
  const values = cli.flags({
    dataset: { type: 'string' },
    split: { type: 'string', default: 'test' },
    'query-split': { type: 'string', default: 'all' },
    'top-k': { type: 'string', default: '100' },
    out: { type: 'string' },
  });
  if (!values.dataset) fail('--dataset is required.');
  const side = values['query-split'];
  if (side !== 'all' && side !== 'dev' && side !== 'test') fail(`--query-split must be all, dev or test, got "${side}".`);
  const topK = Number(values['top-k']);
  if (!Number.isInteger(topK) || topK < 1) fail(`--top-k must be a positive integer, got "${values['top-k']}".`);

  const ds = await loadBeir(values.dataset, { split: values.split, queryFilter: querySplitFilter(side as QuerySplitSide) });
  const index = Bm25Index.build(ds.corpus);
  const run: ScoredRun = new Map();
  for (const q of ds.queries) {
    const hits = index.search(q.text, topK);
    if (hits.length > 0) run.set(q.id, hits.map((h) => [h.id, h.score] as const));
  }
  const text = formatTrecRun(run, 'bm25');
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
}

cli.run(main);
