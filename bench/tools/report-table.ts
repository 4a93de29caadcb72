/**
 * Print the text table of saved benchmark reports (the JSON of `npm run bench` or
 * `npm run bench:browser`), with the machine each ran on: how bench/RESULTS.md is written.
 *   node --import tsx bench/tools/report-table.ts <report.json> [...]
 */
import { readFileSync } from 'node:fs';
import { formatTable, type BenchReport } from '../report';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: report-table.ts <report.json> [...]\n');
  process.exit(2);
}
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  process.stdout.write(`${formatTable(report)}\nmachine: ${JSON.stringify(report.machine)}\n\n`);
}
