/**
 * Benchmark CLI:
 *   npm run bench -- --dataset <BEIR dir> [--split test] --model <bundle dir>
 *     [--configs all|name,...] [--queries N] [--top-k 100] [--backend wasm|webgpu]
 *     [--progressive 2:20,6] --out <file.json>
 * Writes the JSON report (bench/report.ts) and prints a table. Exit codes: 0 ok, 2 usage, 1 failure.
 */
import { ArgsError, USAGE, parseBenchArgs } from './args';
import { formatTable } from './report';
import { writeReport } from './report-file';
import { runBenchmark } from './runner';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const report = await runBenchmark(args);
  writeReport(args.out, report);
  process.stdout.write(`${formatTable(report)}\nwrote ${args.out}\n`);
}

main().catch((err: unknown) => {
  if (err instanceof ArgsError) {
    process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
