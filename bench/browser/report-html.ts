/**
 * The benchmark report as HTML: headline, three plots (nDCG@10 vs latency, nDCG@10 vs FLOPs with
 * the Pareto front of our configurations marked, and "latency tracks FLOPs": each row's time
 * over the full configuration's against its FLOPs ratio), and the full table. Pure string
 * building: the driver writes it from Node and the page shows the same sections.
 */
import { paretoFront } from '../../src/controller/accuracy';
import { peerLabel, speedVersusTransformers, transformersPeers, type BenchReport } from '../report';
import type { ModelRow } from '../scenarios/matryoshka';
import { isSkipped, type SystemResult } from '../scenarios/scenario';
import { scatterSvg, type ScatterPoint } from './svg-scatter';

const NDCG = 'nDCG@10';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function ndcg(r: SystemResult): number {
  return r.metrics[NDCG] ?? Number.NaN;
}

/** Indices (into `rows`) on the Pareto front of nDCG@10 against `cost`. */
export function rowFront(rows: readonly ModelRow[], cost: (r: ModelRow) => number): Set<number> {
  const usable = rows.map((r, i) => ({ i, cost: cost(r), accuracy: ndcg(r) })).filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.accuracy));
  return new Set(paretoFront(usable).map((k) => usable[k]!.i));
}

/** Our rows as points; the full configuration (the reference) is labelled right after the peers. */
function modelPoints(rows: readonly ModelRow[], x: (r: ModelRow) => number, y: (r: ModelRow) => number, front: Set<number>, full: string | null | undefined): ScatterPoint[] {
  return rows.map((r, i) => ({
    x: x(r), y: y(r), label: r.config,
    kind: r.progressive ? 'progressive' : front.has(i) ? 'front' : 'model',
    onFront: front.has(i),
    labelled: true,
    ...(r.config === full ? { priority: 0.5 } : {}),
  }));
}

function plots(report: BenchReport): string {
  const rows = report.rows;
  const hf = report.peers.transformersjs;
  const bm25 = report.peers.bm25;
  const latencyFront = rowFront(rows, (r) => r.latency.medianMs);
  const flopsFront = rowFront(rows, (r) => r.flopsRatio);
  const latency: ScatterPoint[] = modelPoints(rows, (r) => r.latency.medianMs, ndcg, latencyFront, report.fullConfig);
  for (const p of transformersPeers(report)) latency.push({ x: p.latency.medianMs, y: ndcg(p), label: peerLabel(p), kind: 'peer', labelled: true });
  const flops: ScatterPoint[] = modelPoints(rows, (r) => r.flopsRatio, ndcg, flopsFront, report.fullConfig);
  if (!isSkipped(hf)) flops.push({ x: 1, y: ndcg(hf), label: 'transformers.js', kind: 'peer', labelled: false });
  const tracking: ScatterPoint[] = rows
    .filter((r) => r.latencyRatio !== null)
    .map((r) => ({ x: r.flopsRatio, y: r.latencyRatio ?? Number.NaN, label: r.config, kind: r.progressive ? 'progressive' : 'model', labelled: true, ...(r.config === report.fullConfig ? { priority: 0 } : {}) }));
  const frontIdx = (set: Set<number>): number[] => [...set];
  return [
    // BM25 alone takes well under a millisecond: a level line, or it would squash the x axis.
    scatterSvg(latency, { title: `${NDCG} vs latency`, xLabel: 'median ms per query (all candidates, log scale)', yLabel: NDCG, logX: true, front: frontIdx(latencyFront), levels: [{ y: ndcg(bm25), label: `bm25 alone ${num(ndcg(bm25), 3)}` }] }),
    scatterSvg(flops, { title: `${NDCG} vs FLOPs`, xLabel: 'FLOPs relative to the full configuration', yLabel: NDCG, front: frontIdx(flopsFront), levels: [{ y: ndcg(bm25), label: `bm25 ${num(ndcg(bm25), 3)}` }] }),
    scatterSvg(tracking, { title: 'Latency tracks FLOPs?', xLabel: 'FLOPs ratio (manifest)', yLabel: `median latency ratio (vs ${report.fullConfig ?? 'full'})`, diagonal: true }),
  ].map((svg) => `<figure>${svg}</figure>`).join('\n');
}

function table(report: BenchReport): string {
  const recall = `R@${report.topK}`;
  const latencyFront = rowFront(report.rows, (r) => r.latency.medianMs);
  const flopsFront = rowFront(report.rows, (r) => r.flopsRatio);
  const recalls = recall === 'R@10' ? ['R@10'] : ['R@10', recall];
  const head = ['system', 'FLOPs ratio', 'FLOPs ratio (data)', 'latency ratio', NDCG, 'RR@10', ...recalls, 'median ms', 'p95 ms', 'model ms', 'Pareto (lat / FLOPs)', 'dev nDCG@10 (trainer)'];
  const tr = (cells: string[], cls = ''): string => `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`;
  const metricCells = (r: SystemResult): string[] => [num(r.metrics[NDCG], 4), num(r.metrics['RR@10'], 4), ...recalls.map((k) => num(r.metrics[k], 4)), num(r.latency.medianMs, 1), num(r.latency.p95Ms, 1)];
  const body = [tr(['bm25', '–', '–', '–', ...metricCells(report.peers.bm25), '–', '', ''], 'peer')];
  report.rows.forEach((r, i) => {
    const marks = `${latencyFront.has(i) ? '●' : '·'} / ${flopsFront.has(i) ? '●' : '·'}`;
    body.push(tr([esc(r.config), num(r.flopsRatio, 3), num(r.dataFlopsRatio, 3), num(r.latencyRatio, 3), ...metricCells(r), num(r.modelLatency.medianMs, 1), marks, num(r.calibratedDevNdcg10, 4)], r.config === report.fullConfig ? 'full' : r.progressive ? 'progressive' : ''));
  });
  for (const p of transformersPeers(report)) body.push(tr([esc(peerLabel(p)), '1.000', '1.000', num(p.latencyRatio, 3), ...metricCells(p), '–', '', ''], 'peer'));
  return `<table><thead>${tr(head)}</thead><tbody>${body.join('')}</tbody></table>`;
}

/** The report's body: headline, plots, table and notes (for the page and the document). */
export function reportSections(report: BenchReport): string {
  const split = `${report.dataset.split}${report.dataset.querySplit === 'all' ? '' : `:${report.dataset.querySplit}`}`;
  const model = isSkipped(report.model) ? `model rows skipped: ${report.model.skipped}` : `${report.model.name} (${report.model.numLayers} layers) on ${report.model.backend}: ${report.model.backendReason}`;
  const machine = Object.entries(report.machine).map(([k, v]) => `${k}: ${String(v)}`).join(' · ');
  const hf = report.peers.transformersjs;
  const notes = [
    ...(speedVersusTransformers(report)?.split('\n') ?? []),
    report.fullConfig ? `Latency ratio = median over queries of the row's time over ${report.fullConfig}'s on the same query, same run: latency tracks FLOPs where it sits on the dashed y = x line.` : undefined,
    isSkipped(hf) ? `transformers.js peer skipped: ${hf.skipped}` : undefined,
    'Pareto front (orange step line; filled orange dots, or an orange outline): our configurations that no other one beats on both nDCG@10 and cost. Diamonds: progressive re-ranking. Squares: peers.',
  ].filter((n): n is string => !!n);
  return [
    `<h1>${esc(report.dataset.name)} (${esc(split)}) · ${report.queries} queries · top ${report.topK} · ${esc(report.backend)}</h1>`,
    `<p class="meta">${esc(model)}<br>${esc(machine)}<br>${esc(report.dataset.documents.toString())} documents · ${esc(report.createdAt)}</p>`,
    `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
    `<div class="plots">${plots(report)}</div>`,
    table(report),
  ].join('\n');
}

export const REPORT_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #212529; max-width: 1800px; }
h1 { font-size: 20px; margin: 0 0 6px; }
.meta { color: #495057; font-size: 12px; margin: 0 0 8px; }
.notes { margin: 0 0 12px; padding-left: 18px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; border: 1px solid #e9ecef; border-radius: 6px; padding: 6px; background: #fff; }
table { border-collapse: collapse; margin-top: 16px; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e9ecef; text-align: right; white-space: nowrap; }
th:first-child, tbody th { text-align: left; font-weight: 500; }
thead th { font-weight: 600; border-bottom: 2px solid #adb5bd; }
tr.peer th, tr.peer td { color: #1c7ed6; }
tr.full th, tr.full td { font-weight: 700; }
tr.progressive th, tr.progressive td { color: #2b8a3e; }
`;

/** A standalone HTML document (inline CSS and SVG, no scripts). */
export function reportDocument(report: BenchReport): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Benchmark ${esc(report.dataset.name)} ${esc(report.backend)}</title><style>${REPORT_CSS}</style></head><body>\n${reportSections(report)}\n</body></html>\n`;
}
