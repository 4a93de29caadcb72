/**
 * Browser benchmark driver:
 *   npm run bench:browser -- --dataset <BEIR dir> --model <bundle dir> --out <file.json> [--report <file.html>] ...
 * Serves the repository with vite, opens bench/browser/index.html in Chromium, relays progress,
 * and writes the page's JSON report (the CLI's shape, bench/report.ts), the HTML report and the
 * table. Exit codes: 0 ok, 2 usage, 1 failure. Servers and browser are closed on every path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, reportJson } from '../report';
import { ArgsError } from '../settings';
import { driveBenchPage } from './drive';
import { DRIVER_USAGE, parseDriverArgs } from './driver-args';
import { reportDocument } from './report-html';
import { startHarness } from './server';
import { servedUrl } from './url-map';

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
