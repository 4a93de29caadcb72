import MiniSearch from 'minisearch';
import { createWorkerReranker } from 'matryoshka-reranker';
import { rerankMiniSearch } from 'matryoshka-reranker/minisearch';
import model from '@matryoshka-reranker/minilm-l6-scifact';
import { documents } from './documents';

// 1. Index your documents with MiniSearch as usual; store the fields the model should read.
const miniSearch = new MiniSearch({ fields: ['title', 'text'], storeFields: ['title', 'text'] });
miniSearch.addAll(documents);

// 2. Load the model in a Web Worker: downloaded once, then served from the browser's cache.
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const input = document.querySelector<HTMLInputElement>('#query')!;
const list = document.querySelector<HTMLOListElement>('#results')!;
const reranker = await createWorkerReranker({
  model,
  // Progress goes on after the reranker resolves (deeper layers load progressively):
  // only the status line while loading shows it.
  onProgress: (p) => { if (!status.dataset.state) status.textContent = `loading the model: ${p.phase} ${Math.round(p.fraction * 100)}%`; },
});
status.textContent = 'ready';
status.dataset.state = 'ready';

// 3. Search: MiniSearch finds candidates, the model re-ranks the best 50 on this device.
async function search(query: string): Promise<void> {
  const hits = miniSearch.search(query, { prefix: true, fuzzy: 0.2 });
  const results = await rerankMiniSearch(reranker, query, hits, { candidates: 50, topK: 10 });
  list.replaceChildren(...results.map((r) => {
    const li = document.createElement('li');
    li.textContent = `${r.title}: ${r.text}`;
    Object.assign(li.dataset, { id: r.id, score: r.score, modelScore: r.modelScore, firstStageScore: r.firstStageScore });
    return li;
  }));
  status.textContent = `${results.length} of ${hits.length} results re-ranked`;
  status.dataset.state = 'done';
}

input.addEventListener('change', () => {
  search(input.value).catch((e: unknown) => {
    status.textContent = String(e);
    status.dataset.state = 'error';
  });
});
