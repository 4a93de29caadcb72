/**
 * Evaluates a TREC run file against BEIR qrels with bench/metrics.ts and prints JSON
 * `{ queries, mean: {...}, perQuery: { qid: {...} } }`.
 *   node --import tsx bench/tools/eval-run.ts --run run.trec --qrels <dir>/qrels/test.tsv
 *     [--ndcg-k 10] [--mrr-k 10] [--recall-k 10,100]
 * Used by trainer/tests/test_metrics_reference.py.
 */
import { readQrels } from '../../tools/data/beir';
import { evaluateRun, rankByScore } from '../metrics';
import { readTrecRun } from './trec-run';
import { toolCli } from './cli-frame';

const USAGE = 'usage: eval-run.ts --run <run.trec> --qrels <qrels.tsv> [--ndcg-k 10] [--mrr-k 10] [--recall-k 10,100]';

const cli = toolCli('eval-run', USAGE);
const fail: (message: string) => never = cli.fail;

async function main(): Promise<void> {
  const values = cli.flags({
    run: { type: 'string' },
    qrels: { type: 'string' },
    'ndcg-k': { type: 'string', default: '10' },
    'mrr-k': { type: 'string', default: '10' },
    'recall-k': { type: 'string', default: '10,100' },
  });
  if (!values.run) fail('--run is required.');
  if (!values.qrels) fail('--qrels is required.');
  const options = {
    ndcgK: cli.number('ndcg-k', values['ndcg-k'], 'positive-integer'),
    mrrK: cli.number('mrr-k', values['mrr-k'], 'positive-integer'),
    recallK: values['recall-k'].split(',').map((k) => cli.number('recall-k', k.trim(), 'positive-integer')),
  };
  const [scored, qrels] = await Promise.all([readTrecRun(values.run), readQrels(values.qrels)]);
  const run = new Map([...scored].map(([qid, docs]) => [qid, rankByScore(docs)] as const));
  const result = evaluateRun(run, qrels, options);
  process.stdout.write(`${JSON.stringify({ queries: result.queries, mean: result.mean, perQuery: Object.fromEntries(result.perQuery) })}\n`);
}

cli.run(main);
