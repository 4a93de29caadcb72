/**
 * A minimal consumer of the published package: imports `matryoshka-reranker` by name (resolved
 * from node_modules to the built dist/, never to src/), loads a bundle in the library's Web
 * Worker, and ranks the passages typed into the page.
 *
 * Page state for tests: `#status` has `data-state` = loading | ready | ranking | done | error;
 * each `#results li` has `data-index` (into the passages) and `data-score`.
 */
import { createWorkerReranker, type Backend, type RankResult, type WorkerReranker } from 'matryoshka-reranker';

const params = new URLSearchParams(location.search);
const model = params.get('model') ?? 'models/minilm-l6-scifact';
const backend = (params.get('backend') ?? 'auto') as Backend;

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`example: #${id} is missing from index.html`);
  return el as T;
}

const status = element<HTMLParagraphElement>('status');
const form = element<HTMLFormElement>('form');
const rankButton = element<HTMLButtonElement>('rank');
const resultsList = element<HTMLOListElement>('results');

function setStatus(state: 'loading' | 'ready' | 'ranking' | 'done' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function showResults(passages: string[], result: RankResult): void {
  resultsList.replaceChildren(...result.results.map((r) => {
    const li = document.createElement('li');
    li.dataset.index = String(r.index);
    li.dataset.score = String(r.score);
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = r.score.toFixed(4);
    li.append(score, passages[r.index] ?? '');
    return li;
  }));
}

async function main(): Promise<void> {
  const url = new URL(model, location.href).href;
  let reranker: WorkerReranker;
  try {
    reranker = await createWorkerReranker({
      model: url,
      backend,
      // Progress goes on after the reranker resolves (deeper layers load progressively):
      // only the status line while loading shows it.
      onProgress: (p) => { if ((status.dataset.state ?? 'loading') === 'loading') setStatus('loading', `loading ${url}: ${p.phase} ${Math.round(p.fraction * 100)}%`); },
    });
  } catch (e) {
    setStatus('error', `could not load the model: ${(e as Error).message}`);
    return;
  }
  const info = await reranker.info();
  setStatus('ready', `ready: ${info.name} on ${info.backend} (${info.reason})`);
  rankButton.disabled = false;

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const query = element<HTMLInputElement>('query').value;
    const passages = element<HTMLTextAreaElement>('passages').value.split('\n').filter((p) => p.trim() !== '');
    const config = element<HTMLInputElement>('config').value.trim();
    setStatus('ranking', 'ranking…');
    const t0 = performance.now();
    reranker.rank(query, passages, config ? { config } : {}).then((result) => {
      showResults(passages, result);
      setStatus('done', `ranked ${passages.length} passages on ${result.backend} in ${Math.round(performance.now() - t0)} ms`);
    }, (e: unknown) => setStatus('error', `ranking failed: ${(e as Error).message}`));
  });
}

void main();
