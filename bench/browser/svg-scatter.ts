/**
 * A scatter plot as a standalone SVG string (no DOM, no chart library: it is written into the
 * HTML report from Node and shown in the page alike). Points may be labelled; a Pareto front is
 * drawn as a step line through its points; optional reference lines (y = x, a horizontal level).
 */

export interface ScatterPoint {
  x: number;
  y: number;
  /** Shown on hover (<title>), and next to the point when `labelled`. */
  label: string;
  /** `model` (circle), `front` (filled, on the Pareto front), `peer` (square), `progressive` (diamond). */
  kind: 'model' | 'front' | 'peer' | 'progressive';
  labelled?: boolean;
  /** On the Pareto front (a progressive or peer marker gets an orange outline). */
  onFront?: boolean;
  /** Labels are placed by priority, lowest first, while room remains. Default: peers 0, front 1, progressive 2, others 3. */
  priority?: number;
}

export interface ScatterOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Log scale on x (latencies spanning orders of magnitude). Default false. */
  logX?: boolean;
  /** Indices into the points, drawn as a step line in cost order. Default none. */
  front?: number[];
  /** Draw y = x (for ratio-vs-ratio plots). Default false. */
  diagonal?: boolean;
  /** Horizontal dashed reference lines with labels (e.g. BM25's nDCG@10). Default none. */
  levels?: { y: number; label: string }[];
  width?: number;
  height?: number;
}

export const defaultScatterOptions = {
  title: '', xLabel: 'x', yLabel: 'y', logX: false, front: [] as number[], diagonal: false,
  levels: [] as { y: number; label: string }[], width: 560, height: 380,
} satisfies ScatterOptions;

const COLORS = { model: '#8a94a6', front: '#d9480f', peer: '#1c7ed6', progressive: '#2b8a3e' } as const;

let plots = 0;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function logTicks(lo: number, hi: number): number[] {
  // Within one decade 1-2-5 leaves two or three ticks: use more mantissas.
  const mantissas = hi / lo < 8 ? [1, 1.5, 2, 3, 4, 5, 6, 8] : [1, 2, 5];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const t = m * 10 ** e;
      if (t >= lo && t <= hi) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : Number(v.toPrecision(3)).toString();
}

function marker(kind: ScatterPoint['kind'], x: number, y: number, onFront: boolean): string {
  const c = COLORS[kind];
  const outline = onFront ? ` stroke="${COLORS.front}" stroke-width="2"` : '';
  if (kind === 'peer') return `<rect x="${x - 5}" y="${y - 5}" width="10" height="10" fill="${c}"${outline}/>`;
  if (kind === 'progressive') return `<path d="M${x} ${y - 7}L${x + 7} ${y}L${x} ${y + 7}L${x - 7} ${y}Z" fill="${c}"${outline}/>`;
  return kind === 'front' ? `<circle cx="${x}" cy="${y}" r="5" fill="${c}"/>` : `<circle cx="${x}" cy="${y}" r="3.5" fill="none" stroke="${c}" stroke-width="1.5"/>`;
}

interface Box { x0: number; y0: number; x1: number; y1: number }

/** Width of one label character at font-size 11 (system-ui), generously. */
const LABEL_CHAR_PX = 6.2;
const LABEL_HEIGHT = 13;

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/**
 * The first spot around (x, y) where a label fits inside `area` without touching `taken`: eight
 * spots next to the point, then the same farther out (drawn with a leader line).
 */
export function placeLabel(x: number, y: number, width: number, taken: readonly Box[], area: Box): Box | undefined {
  const h = LABEL_HEIGHT;
  const spots: [number, number][] = [];
  for (const d of [0, 14, 30]) {
    spots.push(
      [x + 8 + d, y - h - 2 - d], [x + 8 + d, y + 2 + d], [x - 8 - d - width, y - h - 2 - d], [x - 8 - d - width, y + 2 + d],
      [x - width / 2, y - h - 8 - d], [x - width / 2, y + 8 + d], [x + 8 + d, y - h / 2], [x - 8 - d - width, y - h / 2],
    );
  }
  for (const [bx, by] of spots) {
    const box = { x0: bx, y0: by, x1: bx + width, y1: by + h };
    if (box.x0 < area.x0 || box.x1 > area.x1 || box.y0 < area.y0 || box.y1 > area.y1) continue;
    if (!taken.some((t) => overlaps(t, box))) return box;
  }
  return undefined;
}

export function scatterSvg(points: readonly ScatterPoint[], options: ScatterOptions = {}): string {
  const o = { ...defaultScatterOptions, ...options };
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logX || p.x > 0));
  const m = { left: 56, right: 18, top: o.title ? 30 : 12, bottom: 44 };
  const w = o.width - m.left - m.right;
  const h = o.height - m.top - m.bottom;
  const ys = [...pts.map((p) => p.y), ...o.levels.map((l) => l.y)];
  const xs = pts.map((p) => p.x);
  if (o.diagonal) ys.push(...xs);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (o.logX) {
    x0 /= 1.25;
    x1 *= 1.25;
  } else {
    const pad = (x1 - x0 || Math.abs(x1) || 1) * 0.08;
    x0 -= pad;
    x1 += pad;
  }
  const ypad = (y1 - y0 || Math.abs(y1) || 1) * 0.1;
  y0 -= ypad;
  y1 += ypad;
  if (o.diagonal) {
    x0 = y0 = Math.min(x0, y0);
    x1 = y1 = Math.max(x1, y1);
  }
  const sx = (v: number): number => m.left + (o.logX ? (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) : (v - x0) / (x1 - x0)) * w;
  const sy = (v: number): number => m.top + (1 - (v - y0) / (y1 - y0)) * h;
  const clip = `plot-clip-${++plots}`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" font-family="system-ui, sans-serif" font-size="11">`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="#fff" stroke="#ced4da"/>`);
  if (o.title) out.push(`<text x="${m.left}" y="18" font-size="13" font-weight="600">${esc(o.title)}</text>`);
  for (const t of o.logX ? logTicks(x0, x1) : niceTicks(x0, x1)) {
    const x = sx(t);
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + h}" stroke="#f1f3f5"/><text x="${x}" y="${m.top + h + 14}" text-anchor="middle" fill="#495057">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + w}" y2="${y}" stroke="#f1f3f5"/><text x="${m.left - 6}" y="${y + 4}" text-anchor="end" fill="#495057">${fmt(t)}</text>`);
  }
  out.push(`<text x="${m.left + w / 2}" y="${o.height - 8}" text-anchor="middle" fill="#212529">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle" fill="#212529">${esc(o.yLabel)}</text>`);
  out.push(`<clipPath id="${clip}"><rect x="${m.left}" y="${m.top}" width="${w}" height="${h}"/></clipPath><g clip-path="url(#${clip})">`);
  if (o.diagonal) out.push(`<line x1="${sx(x0)}" y1="${sy(x0)}" x2="${sx(x1)}" y2="${sy(x1)}" stroke="#adb5bd" stroke-dasharray="4 3"/>`);
  const levelBoxes: Box[] = [];
  for (const l of o.levels) {
    const right = m.left + w - 4;
    levelBoxes.push({ x0: right - l.label.length * LABEL_CHAR_PX, y0: sy(l.y) - 4 - LABEL_HEIGHT, x1: right, y1: sy(l.y) + 2 });
    out.push(`<line x1="${m.left}" y1="${sy(l.y)}" x2="${m.left + w}" y2="${sy(l.y)}" stroke="${COLORS.peer}" stroke-dasharray="5 4"/><text x="${m.left + w - 4}" y="${sy(l.y) - 4}" text-anchor="end" fill="${COLORS.peer}">${esc(l.label)}</text>`);
  }
  const front = o.front.map((i) => points[i]).filter((p): p is ScatterPoint => !!p && pts.includes(p)).sort((a, b) => a.x - b.x);
  if (front.length > 1) {
    const d = front.map((p, i) => (i === 0 ? `M${sx(p.x)} ${sy(p.y)}` : `H${sx(p.x)}V${sy(p.y)}`)).join('');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS.front}" stroke-width="1.5" opacity="0.7"/>`);
  }
  out.push('</g>');
  // Non-front points first so front markers sit on top; labels go last, front ones placed first.
  const important = (p: ScatterPoint): number => Number(p.onFront === true || p.kind === 'front');
  const order = [...pts].sort((a, b) => important(a) - important(b));
  for (const p of order) {
    out.push(`<g><title>${esc(`${p.label}: ${fmt(p.x)}, ${fmt(p.y)}`)}</title>${marker(p.kind, sx(p.x), sy(p.y), p.onFront === true)}</g>`);
  }
  const taken: Box[] = [...levelBoxes, ...pts.map((p) => ({ x0: sx(p.x) - 5, y0: sy(p.y) - 5, x1: sx(p.x) + 5, y1: sy(p.y) + 5 }))];
  const area = { x0: m.left, y0: m.top, x1: m.left + w, y1: m.top + h };
  // Label peers first (the comparison), then the front, then the rest while room remains.
  const labelRank = (p: ScatterPoint): number => p.priority ?? (p.kind === 'peer' ? 0 : important(p) ? 1 : p.kind === 'progressive' ? 2 : 3);
  for (const p of pts.filter((q) => q.labelled).sort((a, b) => labelRank(a) - labelRank(b))) {
    const [x, y] = [sx(p.x), sy(p.y)];
    const box = placeLabel(x, y, p.label.length * LABEL_CHAR_PX, taken, area);
    if (!box) continue; // no free spot: the hover title and the table still name it
    taken.push(box);
    const far = Math.max(box.x0 - x, x - box.x1, box.y0 - y, y - box.y1) > 10;
    if (far) out.push(`<line x1="${x}" y1="${y}" x2="${Math.min(Math.max(x, box.x0), box.x1)}" y2="${Math.min(Math.max(y, box.y0), box.y1)}" stroke="${COLORS[p.kind]}" stroke-width="0.8"/>`);
    out.push(`<text x="${box.x0}" y="${box.y1 - 3}" fill="${COLORS[p.kind]}">${esc(p.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}
