/**
 * Prints the scifact-style dev split as computed by tools/data/dev-split.ts, for the Python check
 * trainer/tests/test_dev_split_agrees.py.
 *   node --import tsx bench/tools/dev-ids.ts --dataset <BEIR dir> [--split train]
 *     prints the dev query ids of the split, one per line, in queries.jsonl order;
 *   node --import tsx bench/tools/dev-ids.ts --hash
 *     reads ids from stdin (one per line, UTF-8) and prints "<fnv1a32>\t<dev|test>" for each.
 */
import { loadBeir } from '../../tools/data/beir';
import { fnv1a32, isDevQuery, querySplitFilter } from '../../tools/data/dev-split';
import { splitLines } from '../../tools/data/lines';
import { toolCli } from './cli-frame';

const USAGE = 'usage: dev-ids.ts --dataset <BEIR dir> [--split train] | dev-ids.ts --hash < ids.txt';

const cli = toolCli('dev-ids', USAGE);
const fail: (message: string) => never = cli.fail;

async function* stdinText(): AsyncGenerator<string> {
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) yield chunk as string;
}

async function main(): Promise<void> {
  const values = cli.flags({ dataset: { type: 'string' }, split: { type: 'string', default: 'train' }, hash: { type: 'boolean', default: false } });
  if (values.hash) {
    const out: string[] = [];
    for await (const { text } of splitLines(stdinText())) out.push(`${fnv1a32(text)}\t${isDevQuery(text) ? 'dev' : 'test'}`);
    process.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
    return;
  }
  if (!values.dataset) fail('give --dataset <BEIR dir> or --hash.');
  const ds = await loadBeir(values.dataset, { split: values.split, queryFilter: querySplitFilter('dev') });
  process.stdout.write(ds.queries.map((q) => `${q.id}\n`).join(''));
}

cli.run(main);
