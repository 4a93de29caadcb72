/**
 * The benchmark report: the JSON written by `--out` and the table printed at the end.
 * Shape: { dataset, backend, machine, queries, topK, rows: [...], peers: { bm25, transformersjs } }.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MachineInfo } from './machine';
import type { Bm25PeerResult } from './scenarios/bm25';
import type { MatryoshkaResult, ModelRow } from './scenarios/matryoshka';
import { isSkipped, type Skipped, type SystemResult } from './scenarios/scenario';
import type { TransformersJsResult } from './scenarios/transformersjs';

export interface BenchReport {
  dataset: { name: string; location: string; split: string; querySplit: string; documents: number };
  backend: string;
  machine: MachineInfo;
  /** Queries benchmarked. */
  queries: number;
  topK: number;
  model: MatryoshkaResult['model'];
  /** One row per configuration of the bundle. */
  rows: ModelRow[];
  peers: { bm25: Bm25PeerResult; transformersjs: TransformersJsResult | Skipped };
  createdAt: string;
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  // NaN (no timed query) is not JSON: write null.
  writeFileSync(path, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
}

function cell(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function ms(x: number): string {
  return cell(x, Number.isFinite(x) && x < 10 ? 2 : 1);
}

/** A fixed-width text table of every system: quality, then latency. */
export function formatTable(report: BenchReport): string {
  const recall = `R@${report.topK}`;
  const header = ['system', 'flops', 'nDCG@10', 'RR@10', 'R@10', recall, 'median ms', 'p95 ms'];
  const line = (name: string, flops: string, r: SystemResult): string[] => [
    name, flops, cell(r.metrics['nDCG@10'], 4), cell(r.metrics['RR@10'], 4), cell(r.metrics['R@10'], 4),
    cell(r.metrics[recall], 4), ms(r.latency.medianMs), ms(r.latency.p95Ms),
  ];
  const body: string[][] = [line('bm25', '-', report.peers.bm25)];
  for (const row of report.rows) body.push(line(row.config, cell(row.flopsRatio, 2), row));
  const hf = report.peers.transformersjs;
  if (!isSkipped(hf)) body.push(line(`transformers.js (${hf.device})`, '1.00', hf));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const notes: string[] = [];
  if (isSkipped(report.model)) notes.push(`model rows: ${report.model.skipped}`);
  if (isSkipped(hf)) notes.push(`transformers.js: ${hf.skipped}`);
  const title = `${report.dataset.name} (${report.dataset.split}${report.dataset.querySplit === 'all' ? '' : `:${report.dataset.querySplit}`}), ${report.queries} queries, top ${report.topK}, ${report.backend}`;
  return [title, fmt(header), ...body.map(fmt), ...notes].join('\n');
}
