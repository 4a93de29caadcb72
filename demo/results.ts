/** Rendering a search: the ranked passages with scores, and a line of timings and decision. */
import { isAdaptiveDecision } from '../src/controller/controller';
import type { BeirDocument } from '../tools/data/beir';
import type { RankResult } from '../src/types';
import { nameOf } from './config-picker';

export interface SearchOutcome {
  query: string;
  /** BM25 candidates, best first (their order is the BM25 rank). */
  candidates: { doc: BeirDocument; bm25: number }[];
  result: RankResult;
  bm25Ms: number;
  /** Wall-clock of `rank` on the main thread (worker round trip included). */
  rankMs: number;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const ms = (x: number): string => `${x.toFixed(1)} ms`;

export function renderResults(list: HTMLOListElement, summary: HTMLElement, o: SearchOutcome, show = 10): void {
  const r = o.result;
  const name = nameOf(r.config);
  const d = r.decision;
  const parts = [
    `<span class="pill" data-config-used="${esc(name)}">${esc(name)}</span>`,
    `${o.candidates.length} BM25 candidates in ${ms(o.bm25Ms)}`,
    `re-ranked in <strong id="rank-ms">${ms(o.rankMs)}</strong> (tokenize ${ms(r.timings.tokenizeMs)}, model ${ms(r.timings.modelMs)}) on ${r.backend}`,
  ];
  if (d) {
    const fit = o.rankMs <= d.budgetMs;
    parts.push(`budget ${ms(d.budgetMs)}: predicted ${ms(d.predictedMs)}${isAdaptiveDecision(d) ? ` (≤ ${ms(d.upperMs)})` : ''}, ` +
      `<span class="${fit ? 'ok' : 'miss'}">${fit ? 'within budget' : 'over budget'}</span>`);
  }
  if (r.fusionWeight !== undefined) parts.push(`score: z(model) + ${r.fusionWeight}·z(BM25)`);
  summary.innerHTML = parts.join(' · ') + (d?.warning ? `<div class="warning">${esc(d.warning)}</div>` : '') +
    (r.queryTruncated ? '<div class="warning">the query was cut to the model\'s maximum query length</div>' : '');
  const items = r.results.slice(0, show).map((p, rank) => {
    const c = o.candidates[p.index]!;
    const li = document.createElement('li');
    li.dataset.doc = c.doc.id;
    const moved = p.index - rank;
    li.innerHTML = `<div class="score">${p.score.toFixed(3)}</div>` +
      `<div class="body"><div class="title">${esc(c.doc.title || c.doc.id)}</div>` +
      `<div class="text">${esc(c.doc.text.length > 320 ? `${c.doc.text.slice(0, 320)}…` : c.doc.text)}</div>` +
      `<div class="meta">BM25 #${p.index + 1} (${c.bm25.toFixed(2)})${p.modelScore !== undefined ? ` · model ${p.modelScore.toFixed(3)}` : ''}${moved > 0 ? ` <span class="up">▲${moved}</span>` : moved < 0 ? ` <span class="down">▼${-moved}</span>` : ''}` +
      `${p.truncated ? ' · <span class="muted">passage cut to the model maximum</span>' : ''}</div></div>`;
    return li;
  });
  list.replaceChildren(...items);
}
