/**
 * The benchmark's command line (Node):
 *   npm run bench -- --dataset <BEIR dir> [--split test] --model <bundle dir>
 *     [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]
 *     [--progressive 2:20,6[;...]] [--peer-dtype fp32|q8] [--reference-model <bundle dir>] --out <file.json>
 * `--split` may carry a query half of the shared dev split (docs/dev-split.md):
 * `--split train:dev` evaluates scifact's dev queries, `train:test` the others.
 * Runs the suite in Node (bench/suite-node.ts), writes the JSON report (bench/report.ts) and
 * prints a table. Exit codes: 0 ok, 2 usage, 1 failure.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import { formatTable } from './report';
import { parseSchedules } from './scenarios/progressive';
import { ArgsError, peerDtype, positiveInt, type BenchSettings } from './settings';
import { runBenchmark, writeReport } from './suite-node';
import type { PeerDtype } from './scenarios/transformersjs';

export const USAGE = [
  'usage: npm run bench -- --dataset <BEIR dir> [--split test] --model <bundle dir>',
  '         [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]',
  '         [--progressive depth:keep,...,depth[;...]] [--peer-dtype fp32|q8] [--reference-model <bundle dir>] --out <file.json>',
  '',
  '  --dataset   folder with corpus.jsonl, queries.jsonl, qrels/<split>.tsv (e.g. ../shared/datasets/scifact)',
  '  --split     qrels split (default test); add :dev or :test for the shared dev split, e.g. train:dev',
  '  --model     bundle folder (manifest.json, docs/bundle-format.md)',
  '  --configs   configurations to benchmark: all (default) or names from the manifest, comma-separated;',
  '              the full configuration always runs (the reference of the latency ratios)',
  '  --queries   use only the first N queries of the split (default: all)',
  '  --top-k     BM25 candidates re-ranked per query (default 100)',
  '  --backend   wasm (default) or webgpu',
  '  --progressive  progressive re-ranking schedules, one row each: 2:20,6 scores all candidates',
  '              at exit 2 and the best 20 at depth 6; several separated by ";" (default: none)',
  '  --peer-dtype  weights of the transformers.js peer: fp32 (hf/onnx/model.onnx, default) or q8',
  '  --reference-model  a second bundle of the same model (e.g. the float16 export beside an int8 one):',
  '                its configurations run side by side too, as rows named <config>@<precision>',
  '              (hf/onnx/model_quantized.onnx, its default on WASM; written by mrr.export --precision int8)',
  '  --out       where to write the JSON report',
].join('\n');

/** The CLI's settings: what to measure (bench/settings.ts) and where to write the report. */
export interface BenchArgs extends BenchSettings {
  out: string;
  /** The transformers.js peer's weights. */
  peerDtype: PeerDtype;
}

/**
 * `parseArgs` (strict, no positionals) for the bench command lines: an unknown flag or a bad
 * value, and any `required` flag left out, come back as an {@link ArgsError}.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, required: readonly (keyof O & string)[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ArgsError(err instanceof Error ? err.message : String(err));
  }
  const values: Record<string, unknown> = parsed.values;
  const missing = required.filter((k) => !values[k]);
  if (missing.length > 0) throw new ArgsError(`missing ${missing.map((k) => `--${k}`).join(', ')}.`);
  return parsed.values;
}

/** Parses and validates `argv` (without node and the script). Throws {@link ArgsError}. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const values = parseFlags(argv, {
    dataset: { type: 'string' },
    split: { type: 'string', default: 'test' },
    model: { type: 'string' },
    configs: { type: 'string', default: 'all' },
    queries: { type: 'string' },
    'top-k': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'wasm' },
    progressive: { type: 'string' },
    'peer-dtype': { type: 'string', default: 'fp32' },
    'reference-model': { type: 'string' },
    out: { type: 'string' },
  }, ['dataset', 'model', 'out']);
  const [split = '', side = 'all', ...extra] = values.split.split(':');
  if (!split || extra.length > 0 || (side !== 'all' && side !== 'dev' && side !== 'test')) {
    throw new ArgsError(`--split must be <split> or <split>:dev or <split>:test (e.g. test, train:dev), got "${values.split}".`);
  }
  if (values.backend !== 'wasm' && values.backend !== 'webgpu') {
    throw new ArgsError(`--backend must be wasm or webgpu, got "${values.backend}".`);
  }
  const dtype = peerDtype('--peer-dtype', values['peer-dtype']);
  const names = values.configs.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new ArgsError('--configs must be "all" or a comma-separated list of configuration names.');
  return {
    dataset: values.dataset ?? '',
    split,
    querySplit: side,
    model: values.model ?? '',
    configs: names.length === 1 && names[0] === 'all' ? 'all' : names,
    queries: values.queries === undefined ? undefined : positiveInt('--queries', values.queries),
    topK: positiveInt('--top-k', values['top-k']),
    backend: values.backend,
    ...(values.progressive === undefined ? {} : { progressive: parseSchedules(values.progressive) }),
    ...(values['reference-model'] === undefined ? {} : { referenceModel: values['reference-model'] }),
    out: values.out ?? '',
    peerDtype: dtype,
  };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const report = await runBenchmark(args, { transformersjsDtype: args.peerDtype });
  writeReport(args.out, report);
  process.stdout.write(`${formatTable(report)}\nwrote ${args.out}\n`);
}

// Run as a script (`npm run bench`), not when a test imports the parser.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    if (err instanceof ArgsError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
