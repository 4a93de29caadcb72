/**
 * Evaluates a TREC run file against BEIR qrels with bench/metrics.ts and prints JSON
 * `{ queries, mean: {...}, perQuery: { qid: {...} } }`.
 *   node --import tsx bench/tools/eval-run.ts --run run.trec --qrels <dir>/qrels/test.tsv
 *     [--ndcg-k 10] [--mrr-k 10] [--recall-k 10,100]
 * Used by trainer/tests/test_metrics_reference.py.
 */
import { parseArgs } from 'node:util';
import { readQrels } from '../../tools/data/beir';
import { evaluateRun, rankByScore } from '../metrics';
import { readTrecRun } from '../trec-run';

const USAGE = 'usage: eval-run.ts --run <run.trec> --qrels <qrels.tsv> [--ndcg-k 10] [--mrr-k 10] [--recall-k 10,100]';

function fail(message: string): never {
  process.stderr.write(`eval-run: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${text}".`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        run: { type: 'string' },
        qrels: { type: 'string' },
        'ndcg-k': { type: 'string', default: '10' },
        'mrr-k': { type: 'string', default: '10' },
        'recall-k': { type: 'string', default: '10,100' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (!values.run) fail('--run is required.');
  if (!values.qrels) fail('--qrels is required.');
  const options = {
    ndcgK: positiveInt('ndcg-k', values['ndcg-k']),
    mrrK: positiveInt('mrr-k', values['mrr-k']),
    recallK: values['recall-k'].split(',').map((k) => positiveInt('recall-k', k.trim())),
  };
  const [scored, qrels] = await Promise.all([readTrecRun(values.run), readQrels(values.qrels)]);
  const run = new Map([...scored].map(([qid, docs]) => [qid, rankByScore(docs)] as const));
  const result = evaluateRun(run, qrels, options);
  process.stdout.write(`${JSON.stringify({ queries: result.queries, mean: result.mean, perQuery: Object.fromEntries(result.perQuery) })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`eval-run: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
