/**
 * The benchmark report: the JSON written by the CLI's `--out` and the browser suite, and the
 * table printed at the end. Environment-neutral (no Node imports; bench/suite-node.ts writes it).
 * Shape: { dataset, backend, machine, queries, topK, model, fullConfig, rows: [...],
 * peers: { bm25, transformersjs, transformersjsSameBatches }, createdAt }.
 */
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
  /** The second bundle (`--reference-model`) whose rows are named `<config>@<precision>`; absent without one. */
  referenceModel?: MatryoshkaResult['model'];
  /** The configuration every `latencyRatio` is relative to (depth = numLayers, no compression). */
  fullConfig?: string | null;
  /** One row per configuration run, then one per progressive schedule. */
  rows: ModelRow[];
  /**
   * `transformersjs`: the peer batched in input order (how it is called; the headline speed ratio);
   * `transformersjsSameBatches`: the peer on the engine's own length buckets (model run only).
   * Older reports lack the second.
   */
  peers: { bm25: Bm25PeerResult; transformersjs: TransformersJsResult | Skipped; transformersjsSameBatches?: TransformersJsResult | Skipped };
  createdAt: string;
}

/** The report as JSON text; NaN (no timed query) is not JSON and becomes null. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

function cell(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function ms(x: number): string {
  return cell(x, Number.isFinite(x) && x < 10 ? 2 : 1);
}

/**
 * "our full configuration is 1.8x faster than transformers.js" (median per-query ratio), or
 * undefined when either side did not run.
 */
export function speedVersusTransformers(report: BenchReport): string | undefined {
  const lines: string[] = [];
  for (const hf of transformersPeers(report)) {
    if (hf.latencyRatio === null || !report.fullConfig) continue;
    const r = hf.latencyRatio;
    const how = r >= 1 ? `${r.toFixed(2)}x faster than` : `${(1 / r).toFixed(2)}x slower than`;
    const batches = hf.batching === 'engine-buckets' ? "on the engine's own length buckets" : 'batched in input order';
    lines.push(`full configuration ${report.fullConfig} takes ${(1 / r).toFixed(2)} of the time of (is ${how}) transformers.js (${hf.device}${hf.dtype && hf.dtype !== 'fp32' ? `, ${hf.dtype}` : ''}) ${batches}, same token ids (median per-query time ratio; peer padding overhead ${hf.paddingOverhead?.toFixed(2) ?? '-'})`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

/** A transformers.js row's name: device and batching (reports before the second peer lack `batching`). */
export function peerLabel(p: TransformersJsResult): string {
  return `transformers.js (${p.device}${p.dtype && p.dtype !== 'fp32' ? `, ${p.dtype}` : ''}, ${p.batching ?? 'engine-buckets'})`;
}

/** The transformers.js rows of a report, headline first. */
export function transformersPeers(report: BenchReport): TransformersJsResult[] {
  return [report.peers.transformersjs, report.peers.transformersjsSameBatches].filter((p): p is TransformersJsResult => p !== undefined && !isSkipped(p));
}

/**
 * A fixed-width text table of every system: quality, then latency. `lat/full` is the row's time
 * over the full configuration's on the same queries, next to its FLOPs ratio: latency tracks
 * FLOPs when the two columns agree.
 */
export function formatTable(report: BenchReport): string {
  const recall = `R@${report.topK}`;
  // With top-k 10 the candidate-depth recall is R@10 itself: one column.
  const recalls = recall === 'R@10' ? ['R@10'] : ['R@10', recall];
  const header = ['system', 'flops', 'flops (data)', 'lat/full', 'nDCG@10', 'RR@10', ...recalls, 'median ms', 'p95 ms'];
  const line = (name: string, flops: string, dataFlops: string, ratio: string, r: SystemResult): string[] => [
    name, flops, dataFlops, ratio, cell(r.metrics['nDCG@10'], 4), cell(r.metrics['RR@10'], 4), ...recalls.map((k) => cell(r.metrics[k], 4)),
    ms(r.latency.medianMs), ms(r.latency.p95Ms),
  ];
  const body: string[][] = [line('bm25', '-', '-', '-', report.peers.bm25)];
  for (const row of report.rows) body.push(line(row.config, cell(row.flopsRatio, 2), row.dataFlopsRatio === undefined ? '-' : cell(row.dataFlopsRatio, 2), cell(row.latencyRatio, 2), row));
  const hf = report.peers.transformersjs;
  for (const p of transformersPeers(report)) body.push(line(peerLabel(p), '1.00', '1.00', cell(p.latencyRatio, 2), p));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const notes: string[] = [];
  if (isSkipped(report.model)) notes.push(`model rows: ${report.model.skipped}`);
  if (isSkipped(hf)) notes.push(`transformers.js: ${hf.skipped}`);
  if (report.fullConfig) notes.push(`lat/full: median per-query time over ${report.fullConfig}'s, same run and candidates`);
  if (report.rows.length > 0) notes.push('flops: the manifest\'s ratio (reference lengths); flops (data): on the rows these queries ran, each pair at its own length (bench/flops.ts)');
  const speed = speedVersusTransformers(report);
  if (speed) notes.push(speed);
  const title = `${report.dataset.name} (${report.dataset.split}${report.dataset.querySplit === 'all' ? '' : `:${report.dataset.querySplit}`}), ${report.queries} queries, top ${report.topK}, ${report.backend}`;
  return [title, fmt(header), ...body.map(fmt), ...notes].join('\n');
}
