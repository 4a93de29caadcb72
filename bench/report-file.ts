/** Writes the benchmark report (bench/report.ts) to a file, creating its folder (Node). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { reportJson, type BenchReport } from './report';

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, reportJson(report));
}
