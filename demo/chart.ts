/**
 * The configurations chart: accuracy (manifest dev nDCG@10, or flopsRatio without it) against
 * latency on this device, the Pareto front, the budget and the controller's pick.
 *
 * Plain SVG rather than a chart library: it is one scatter plot of ~20-40 points with a step
 * line, a dashed budget line and labels. uPlot or Chart.js would add a dependency (and for
 * Chart.js ~200 kB) for less control over the markers, and SVG elements can be asserted on by
 * the e2e test (`[data-config]`, `.pick`, `.front`).
 */
import { paretoFront } from '../src/controller/accuracy';

export interface ChartPoint {
  name: string;
  accuracy: number;
  /** The controller's prediction for the current candidates. */
  predictedMs?: number;
  /** Measured on this device for the current candidates. */
  measuredMs?: number;
}

export interface ChartInput {
  points: ChartPoint[];
  accuracyLabel: string;
  pick?: string;
  budgetMs?: number;
}

const NS = 'http://www.w3.org/2000/svg';
const W = 520;
const H = 340;
const M = { left: 56, right: 16, top: 16, bottom: 44 };

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function ticks(lo: number, hi: number, n: number): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / n || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= n) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(Number(v.toPrecision(6)));
  return out;
}

export function renderChart(host: HTMLElement, input: ChartInput): void {
  host.replaceChildren();
  const pts = input.points.map((p) => ({ ...p, x: p.measuredMs ?? p.predictedMs })).filter((p): p is typeof p & { x: number } => p.x !== undefined);
  const svg = node('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'configurations: accuracy against latency' });
  host.append(svg);
  if (pts.length === 0) {
    svg.append(node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'run a search to see every configuration'));
    return;
  }
  // The axis spans the points (and the budget when it is close); a far budget is an arrow.
  const pMax = Math.max(...pts.map((p) => p.x));
  const budgetOnAxis = input.budgetMs !== undefined && input.budgetMs <= pMax * 1.6;
  const xMax = Math.max(pMax, budgetOnAxis ? input.budgetMs! : 0) * 1.08;
  const ys = pts.map((p) => p.accuracy);
  const yPad = (Math.max(...ys) - Math.min(...ys)) * 0.1 || 0.05;
  const yLo = Math.min(...ys) - yPad;
  const yHi = Math.max(...ys) + yPad;
  const X = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const Y = (v: number) => H - M.bottom - ((v - yLo) / (yHi - yLo)) * (H - M.top - M.bottom);

  const axes = node('g', { class: 'axes' });
  axes.append(node('line', { x1: M.left, y1: H - M.bottom, x2: W - M.right, y2: H - M.bottom }));
  axes.append(node('line', { x1: M.left, y1: M.top, x2: M.left, y2: H - M.bottom }));
  for (const t of ticks(0, xMax, 6)) {
    axes.append(node('line', { x1: X(t), y1: H - M.bottom, x2: X(t), y2: H - M.bottom + 4 }));
    axes.append(node('text', { x: X(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, String(t)));
  }
  for (const t of ticks(yLo, yHi, 5)) {
    axes.append(node('line', { x1: M.left - 4, y1: Y(t), x2: M.left, y2: Y(t) }));
    axes.append(node('text', { x: M.left - 6, y: Y(t) + 4, 'text-anchor': 'end' }, t.toFixed(2)));
  }
  const allMeasured = pts.every((p) => p.measuredMs !== undefined);
  axes.append(node('text', { x: (W + M.left) / 2, y: H - 8, 'text-anchor': 'middle', class: 'label' },
    `latency, ms (${allMeasured ? 'measured' : pts.some((p) => p.measuredMs !== undefined) ? 'measured where filled, else predicted' : 'predicted by the controller'})`));
  axes.append(node('text', { x: 14, y: (H - M.bottom + M.top) / 2, 'text-anchor': 'middle', class: 'label', transform: `rotate(-90 14 ${(H - M.bottom + M.top) / 2})` }, input.accuracyLabel));
  svg.append(axes);

  // The budget's label, kept clear of the point labels placed below.
  const budgetBoxes: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const budgetText = input.budgetMs !== undefined ? `budget ${input.budgetMs.toFixed(0)} ms${budgetOnAxis ? '' : ' →'}` : '';
  if (input.budgetMs !== undefined && budgetOnAxis) {
    const bx = X(input.budgetMs);
    const right = bx > W - M.right - 90;
    const w = budgetText.length * 5.6;
    budgetBoxes.push({ x0: right ? bx - 4 - w : bx + 4, y0: M.top, x1: right ? bx - 4 : bx + 4 + w, y1: M.top + 12 });
    svg.append(node('line', { class: 'budget', x1: bx, y1: M.top, x2: bx, y2: H - M.bottom }));
    svg.append(node('text', { class: 'budget-label', x: right ? bx - 4 : bx + 4, y: M.top + 10, 'text-anchor': right ? 'end' : 'start' }, `budget ${input.budgetMs.toFixed(0)} ms`));
  } else if (input.budgetMs !== undefined) {
    budgetBoxes.push({ x0: W - M.right - budgetText.length * 5.6, y0: M.top, x1: W - M.right, y1: M.top + 12 });
    svg.append(node('text', { class: 'budget-label', x: W - M.right, y: M.top + 10, 'text-anchor': 'end' }, `budget ${input.budgetMs.toFixed(0)} ms →`));
  }

  const front = paretoFront(pts.map((p) => ({ cost: p.x, accuracy: p.accuracy })));
  const frontSet = new Set(front);
  let d = '';
  front.forEach((i, k) => {
    const p = pts[i]!;
    d += k === 0 ? `M${X(p.x)},${Y(p.accuracy)}` : `H${X(p.x)}V${Y(p.accuracy)}`;
  });
  svg.append(node('path', { class: 'front-line', d }));

  // Labels for the pick and the front: each tries a few spots around its dot and takes the first
  // that overlaps no placed label, no other dot and stays inside the plot; else it is left off
  // (the dot's tooltip still names it).
  type Box = { x0: number; y0: number; x1: number; y1: number };
  const placed: Box[] = [...budgetBoxes];
  const dots: Box[] = pts.map((p) => ({ x0: X(p.x) - 5, y0: Y(p.accuracy) - 5, x1: X(p.x) + 5, y1: Y(p.accuracy) + 5 }));
  const overlaps = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  const spots: [number, number, 'start' | 'end' | 'middle'][] = [[8, -6, 'start'], [8, 12, 'start'], [-8, -6, 'end'], [-8, 12, 'end'], [0, -11, 'middle'], [0, 19, 'middle']];
  const order = pts.map((_, i) => i).sort((a, b) => Number(pts[b]!.name === input.pick) - Number(pts[a]!.name === input.pick));
  const labels = new Map<number, { x: number; y: number; anchor: string }>();
  for (const i of order) {
    const p = pts[i]!;
    const isPick = p.name === input.pick;
    if (!frontSet.has(i) && !isPick) continue;
    const w = p.name.length * (isPick ? 6.4 : 5.8);
    for (const [dx, dy, anchor] of spots) {
      const x = X(p.x) + dx;
      const y = Y(p.accuracy) + dy;
      const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
      const box = { x0, y0: y - 9, x1: x0 + w, y1: y + 2 };
      const inside = box.x0 >= M.left && box.x1 <= W - 2 && box.y0 >= 2 && box.y1 <= H - M.bottom;
      if (inside && !placed.some((b) => overlaps(b, box)) && !dots.some((d, j) => j !== i && overlaps(d, box))) {
        placed.push(box);
        labels.set(i, { x, y, anchor });
        break;
      }
    }
  }

  pts.forEach((p, i) => {
    const g = node('g', { 'data-config': p.name, class: [frontSet.has(i) ? 'front' : '', p.measuredMs !== undefined ? 'measured' : 'predicted', p.name === input.pick ? 'pick' : ''].join(' ').trim() });
    g.append(node('circle', { cx: X(p.x), cy: Y(p.accuracy), r: p.name === input.pick ? 7 : 4.5 }));
    const t = `${p.name}: ${p.accuracy.toFixed(3)}, ${p.measuredMs !== undefined ? `measured ${p.measuredMs.toFixed(1)} ms` : ''}` +
      `${p.predictedMs !== undefined ? ` predicted ${p.predictedMs.toFixed(1)} ms` : ''}`;
    g.append(node('title', {}, t));
    const l = labels.get(i);
    if (l) g.append(node('text', { x: l.x, y: l.y, 'text-anchor': l.anchor, class: 'point-label' }, p.name));
    svg.append(g);
  });
}
