/**
 * The browser suite's command line (the driver):
 *   npm run bench:browser -- --dataset <BEIR dir> --model <bundle dir> --out <file.json> [--report <file.html>]
 *     [--split test] [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]
 *     [--progressive 2:20,6[;...]|none] [--threads T] [--no-transformersjs] [--screenshot <file.png>] [--timeout S]
 * Serves the repository with vite, opens bench/browser/index.html in Chromium, relays progress,
 * and writes the page's JSON report (the CLI's shape, bench/report.ts), the HTML report and the
 * table. Exit codes: 0 ok, 2 usage, 1 failure. Servers and browser are closed on every path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../cli';
import { formatTable, reportJson } from '../report';
import { parseSchedules } from '../scenarios/progressive';
import { ArgsError, peerDtype, positiveInt } from '../settings';
import { driveBenchPage } from './drive';
import { reportDocument } from './report-html';
import { servedUrl, startHarness } from './server';

export const DRIVER_USAGE = [
  'usage: npm run bench:browser -- --dataset <BEIR dir> --model <bundle dir> --out <file.json> [--report <file.html>]',
  '         [--split test] [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]',
  '         [--progressive depth:keep,...,depth[;...]|none] [--threads T] [--no-transformersjs]',
  '         [--peer-dtype fp32|q8] [--reference-model <bundle dir>]',
  '         [--screenshot <file.png>] [--timeout seconds]',
  '',
  '  Same measurements as `npm run bench` (bench/README.md), run in Chromium (playwright-core,',
  '  /usr/bin/chromium or CHROMIUM_PATH) on the page bench/browser/index.html served by vite.',
  '  --progressive  default: the bundle\'s default schedule (shallowest exit, best max(10, top-k/4) at full depth)',
  '  --threads      WASM threads for the engine and transformers.js (default: cores capped at 4)',
  '  --peer-dtype   weights of the transformers.js peer: fp32 (default) or q8 (its default dtype on WASM;',
  '                hf/onnx/model_quantized.onnx, written by the trainer\'s export --precision int8)',
  '  --reference-model  a second bundle of the same model (e.g. the float16 export beside an int8 one),',
  '                its configurations run side by side as rows named <config>@<precision>',
  '  --report       also write the HTML report (plots: nDCG@10 vs latency, vs FLOPs, latency vs FLOPs ratios)',
  '  --timeout      give up after this many seconds (default 1800)',
].join('\n');

export interface DriverArgs {
  dataset: string;
  model: string;
  out: string;
  report: string | undefined;
  screenshot: string | undefined;
  split: string;
  configs: 'all' | string[];
  queries: number | undefined;
  topK: number;
  backend: 'wasm' | 'webgpu';
  progressive: string | undefined;
  threads: number | undefined;
  transformersjs: boolean;
  peerDtype: 'fp32' | 'q8';
  referenceModel: string | undefined;
  timeoutMs: number;
}

export function parseDriverArgs(argv: string[]): DriverArgs {
  const values = parseFlags(argv, {
    dataset: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' },
    screenshot: { type: 'string' }, split: { type: 'string', default: 'test' }, configs: { type: 'string', default: 'all' },
    queries: { type: 'string' }, 'top-k': { type: 'string', default: '100' }, backend: { type: 'string', default: 'wasm' },
    progressive: { type: 'string' }, threads: { type: 'string' }, 'no-transformersjs': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '1800' }, 'peer-dtype': { type: 'string', default: 'fp32' },
    'reference-model': { type: 'string' },
  }, ['dataset', 'model', 'out']);
  const dtype = peerDtype('--peer-dtype', values['peer-dtype']);
  if (values.backend !== 'wasm' && values.backend !== 'webgpu') throw new ArgsError(`--backend must be wasm or webgpu, got "${values.backend}".`);
  if (values.progressive !== undefined && values.progressive !== 'none') parseSchedules(values.progressive); // validate early
  const names = values.configs.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    dataset: values.dataset ?? '', model: values.model ?? '', out: values.out ?? '', report: values.report, screenshot: values.screenshot,
    split: values.split, configs: names.length === 0 || (names.length === 1 && names[0] === 'all') ? 'all' : names,
    queries: values.queries === undefined ? undefined : positiveInt('--queries', values.queries),
    topK: positiveInt('--top-k', values['top-k']), backend: values.backend, progressive: values.progressive,
    threads: values.threads === undefined ? undefined : positiveInt('--threads', values.threads),
    transformersjs: !values['no-transformersjs'], peerDtype: dtype, referenceModel: values['reference-model'], timeoutMs: positiveInt('--timeout', values.timeout) * 1000,
  };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function write(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, text);
}

async function main(): Promise<void> {
  const args = parseDriverArgs(process.argv.slice(2));
  const query = {
    dataset: servedUrl(root, args.dataset, '--dataset'),
    model: servedUrl(root, args.model, '--model'),
    split: args.split, configs: args.configs, topK: args.topK, backend: args.backend, transformersjs: args.transformersjs,
    peerDtype: args.peerDtype,
    ...(args.referenceModel === undefined ? {} : { referenceModel: servedUrl(root, args.referenceModel, '--reference-model') }),
    ...(args.queries === undefined ? {} : { queries: args.queries }),
    ...(args.progressive === undefined ? {} : { progressive: args.progressive }),
    ...(args.threads === undefined ? {} : { threads: args.threads }),
  };
  const harness = await startHarness(root);
  try {
    process.stderr.write(`serving ${root} at ${harness.baseUrl}; dataset ${query.dataset}, model ${query.model}\n`);
    const { report } = await driveBenchPage(harness.browser, harness.baseUrl, query, {
      timeoutMs: args.timeoutMs,
      onLog: (line) => process.stderr.write(`${line}\n`),
      ...(args.screenshot ? { screenshot: args.screenshot } : {}),
    });
    report.dataset.location = args.dataset; // the local folder, as the CLI reports it
    write(args.out, reportJson(report));
    if (args.report) write(args.report, reportDocument(report));
    process.stdout.write(`${formatTable(report)}\nwrote ${args.out}${args.report ? ` and ${args.report}` : ''}\n`);
  } finally {
    await harness.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ArgsError) {
    process.stderr.write(`bench:browser: ${err.message}\n\n${DRIVER_USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench:browser: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
