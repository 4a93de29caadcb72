/**
 * Arguments of the browser benchmark driver (bench/browser/run.ts):
 *   npm run bench:browser -- --dataset <BEIR dir> --model <bundle dir> --out <file.json> [--report <file.html>]
 *     [--split test] [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]
 *     [--progressive 2:20,6[;...]|none] [--threads T] [--no-transformersjs] [--screenshot <file.png>] [--timeout S]
 */
import { parseArgs } from 'node:util';
import { parseSchedules } from '../progressive-plan';
import { ArgsError } from '../settings';

export const DRIVER_USAGE = [
  'usage: npm run bench:browser -- --dataset <BEIR dir> --model <bundle dir> --out <file.json> [--report <file.html>]',
  '         [--split test] [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]',
  '         [--progressive depth:keep,...,depth[;...]|none] [--threads T] [--no-transformersjs]',
  '         [--screenshot <file.png>] [--timeout seconds]',
  '',
  '  Same measurements as `npm run bench` (bench/README.md), run in Chromium (playwright-core,',
  '  /usr/bin/chromium or CHROMIUM_PATH) on the page bench/browser/index.html served by vite.',
  '  --progressive  default: the bundle\'s default schedule (shallowest exit, best max(10, top-k/4) at full depth)',
  '  --threads      WASM threads for the engine and transformers.js (default: cores capped at 4)',
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
  timeoutMs: number;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgsError(`${flag} must be a positive integer, got "${text}".`);
  return n;
}

export function parseDriverArgs(argv: string[]): DriverArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        dataset: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' },
        screenshot: { type: 'string' }, split: { type: 'string', default: 'test' }, configs: { type: 'string', default: 'all' },
        queries: { type: 'string' }, 'top-k': { type: 'string', default: '100' }, backend: { type: 'string', default: 'wasm' },
        progressive: { type: 'string' }, threads: { type: 'string' }, 'no-transformersjs': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '1800' },
      },
    }));
  } catch (err) {
    throw new ArgsError(err instanceof Error ? err.message : String(err));
  }
  const missing = (['dataset', 'model', 'out'] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw new ArgsError(`missing ${missing.map((k) => `--${k}`).join(', ')}.`);
  if (values.backend !== 'wasm' && values.backend !== 'webgpu') throw new ArgsError(`--backend must be wasm or webgpu, got "${values.backend}".`);
  if (values.progressive !== undefined && values.progressive !== 'none') parseSchedules(values.progressive); // validate early
  const names = values.configs.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    dataset: values.dataset ?? '', model: values.model ?? '', out: values.out ?? '', report: values.report, screenshot: values.screenshot,
    split: values.split, configs: names.length === 0 || (names.length === 1 && names[0] === 'all') ? 'all' : names,
    queries: values.queries === undefined ? undefined : positiveInt('--queries', values.queries),
    topK: positiveInt('--top-k', values['top-k']), backend: values.backend, progressive: values.progressive,
    threads: values.threads === undefined ? undefined : positiveInt('--threads', values.threads),
    transformersjs: !values['no-transformersjs'], timeoutMs: positiveInt('--timeout', values.timeout) * 1000,
  };
}
