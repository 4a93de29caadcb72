/**
 * The demo page: corpus -> BM25 first stage (src/data/bm25) -> re-ranking in a Web Worker with
 * a manual configuration or the adaptive controller under a latency budget, and a chart of
 * every configuration on this device. See index.html for the layout.
 */
import type { AdaptiveReranker } from '../src/controller/adaptive-reranker';
import { accuracyScale } from '../src/controller/accuracy';
import { type CandidatePrediction, isAdaptiveDecision } from '../src/controller/controller';
import { Bm25Index, documentText } from '../src/data/bm25';
import type { BackendInfo, ModelInfo, RankOptions } from '../src/types';
import { type ChartPoint, renderChart } from './chart';
import { ConfigPicker, nameOf } from './config-picker';
import { type DemoCorpus, loadBeirUrl, loadDefaultCorpus, loadFiles } from './corpus';
import { chooseBackend, chooseModel, loadModel } from './model';
import { renderResults, type SearchOutcome } from './results';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: #${id} missing from index.html`);
  return e as T;
};

const ui = {
  status: $('status'), modelName: $('model-name'), modelNote: $('model-note'), progress: $<HTMLProgressElement>('load-progress'),
  loadText: $('load-text'), backend: $('backend'), backendReason: $('backend-reason'),
  corpusName: $('corpus-name'), beirUrl: $<HTMLInputElement>('beir-url'), beirLoad: $<HTMLButtonElement>('beir-load'),
  files: $<HTMLInputElement>('files'), folder: $<HTMLInputElement>('folder'), defaultLoad: $<HTMLButtonElement>('default-load'),
  budget: $<HTMLInputElement>('budget'), budgetValue: $<HTMLOutputElement>('budget-value'), budgetRow: $('budget-row'), manualRow: $('manual-row'),
  form: $<HTMLFormElement>('search-form'), query: $<HTMLInputElement>('query'), candidates: $<HTMLInputElement>('candidates'),
  search: $<HTMLButtonElement>('search'), hybrid: $<HTMLInputElement>('hybrid'), samples: $('samples'), summary: $('summary'), results: $<HTMLOListElement>('results'),
  chart: $('chart'), chartCaption: $('chart-caption'), measure: $<HTMLButtonElement>('measure'), measureText: $('measure-text'),
  calibration: $('calibration'),
};

const state = {
  rr: null as AdaptiveReranker | null,
  info: null as (ModelInfo & BackendInfo) | null,
  corpus: null as DemoCorpus | null,
  index: null as Bm25Index | null,
  picker: null as ConfigPicker | null,
  last: null as SearchOutcome | null,
  /** Predictions of the last auto decision (for the last search's candidates only). */
  predictions: null as CandidatePrediction[] | null,
  measured: new Map<string, number>(),
  busy: false,
  /** A search was asked for while busy: run it (with the controls' latest values) after. */
  again: false,
};

/** Budget slider (0..1000) <-> milliseconds, log scale from 2 ms to 5 s. */
const budgetMs = (): number => 2 * 2500 ** (Number(ui.budget.value) / 1000);
const mode = (): 'auto' | 'manual' => (document.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value === 'manual' ? 'manual' : 'auto');

function setStatus(s: 'loading' | 'calibrating' | 'ready' | 'error', text: string): void {
  ui.status.dataset.state = s;
  ui.loadText.textContent = text;
}

function showError(where: string, e: unknown): void {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  ui.summary.innerHTML = '';
  const div = document.createElement('div');
  div.className = 'error';
  div.textContent = `${where}: ${msg}`;
  ui.summary.append(div);
  console.warn(where, e);
}

async function useCorpus(load: () => Promise<DemoCorpus>): Promise<void> {
  ui.corpusName.textContent = 'loading…';
  try {
    const corpus = await load();
    const t0 = performance.now();
    state.index = Bm25Index.build(corpus.documents);
    state.corpus = corpus;
    ui.corpusName.textContent = `${corpus.name} (BM25 index ${(performance.now() - t0).toFixed(0)} ms)`;
    ui.corpusName.dataset.documents = String(corpus.documents.length);
    ui.samples.replaceChildren(...corpus.queries.slice(0, 8).map((q) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'chip';
      b.textContent = q;
      b.addEventListener('click', () => { ui.query.value = q; void search(); });
      return b;
    }));
  } catch (e) {
    ui.corpusName.textContent = state.corpus ? state.corpus.name : 'no corpus';
    showError('corpus', e);
  }
}

function updateChart(): void {
  const info = state.info;
  if (!info) return;
  const scale = accuracyScale(info.configurations);
  const pred = new Map(state.predictions?.map((p) => [p.name, p.predictedMs]) ?? []);
  const points: ChartPoint[] = info.configurations.map((c) => ({
    name: c.name, accuracy: scale.of(c),
    ...(pred.has(c.name) ? { predictedMs: pred.get(c.name)! } : {}),
    ...(state.measured.has(c.name) ? { measuredMs: state.measured.get(c.name)! } : {}),
  }));
  const r = state.last?.result;
  const pick = r ? (r.decision?.config.name ?? nameOf(r.config)) : undefined;
  renderChart(ui.chart, {
    points, accuracyLabel: scale.label,
    ...(pick ? { pick } : {}),
    ...(mode() === 'auto' ? { budgetMs: budgetMs() } : {}),
  });
  const n = state.last?.candidates.length ?? 0;
  ui.chartCaption.textContent = n
    ? `${scale.label} against latency for the last query's ${n} candidates on ${info.backend}; line: Pareto front; large dot: ${mode() === 'auto' ? "the controller's pick" : 'your configuration'}.`
    : 'Run a search: the chart shows every configuration for its candidates.';
}

async function search(): Promise<void> {
  const { rr, index, corpus, picker } = state;
  const query = ui.query.value.trim();
  if (!rr || !index || !corpus || !picker || !query) return;
  if (state.busy) { state.again = true; return; }
  state.busy = true;
  ui.search.disabled = true;
  try {
    const k = Math.max(1, Math.min(100, Number(ui.candidates.value) || 30));
    const t0 = performance.now();
    const hits = index.search(query, k);
    const bm25Ms = performance.now() - t0;
    if (hits.length === 0) {
      ui.summary.textContent = 'BM25 found no passage sharing a word with the query; try other words.';
      ui.results.replaceChildren();
      return;
    }
    const candidates = hits.map((h) => ({ doc: corpus.documents[h.index]!, bm25: h.score }));
    const options: RankOptions = {
      ...(mode() === 'auto' ? { budgetMs: budgetMs() } : { config: picker.value() }),
      ...(ui.hybrid.checked ? { firstStageScores: candidates.map((c) => c.bm25) } : {}),
    };
    const t1 = performance.now();
    const result = await rr.rank(query, candidates.map((c) => documentText(c.doc)), options);
    const rankMs = performance.now() - t1;
    const same = state.last && state.last.query === query && state.last.candidates.length === candidates.length;
    if (!same) state.measured.clear();
    if (isAdaptiveDecision(result.decision)) state.predictions = result.decision.candidates;
    else if (!same) state.predictions = null;
    state.last = { query, candidates, result, bm25Ms, rankMs };
    renderResults(ui.results, ui.summary, state.last);
    ui.measure.disabled = false;
    updateChart();
  } catch (e) {
    showError('search', e);
  } finally {
    state.busy = false;
    ui.search.disabled = false;
  }
  if (state.again) {
    state.again = false;
    await search();
  }
}

/** Time every configuration on the last search's candidates. */
async function measureAll(): Promise<void> {
  const { rr, info, last } = state;
  if (!rr || !info || !last || state.busy) return;
  state.busy = true;
  ui.measure.disabled = true;
  ui.search.disabled = true;
  try {
    const passages = last.candidates.map((c) => documentText(c.doc));
    state.measured.clear();
    for (const [i, c] of info.configurations.entries()) {
      ui.measureText.textContent = `measuring ${c.name} (${i + 1}/${info.configurations.length})…`;
      const t0 = performance.now();
      await rr.rank(last.query, passages, { config: c.name });
      state.measured.set(c.name, performance.now() - t0);
      updateChart();
    }
    ui.measureText.textContent = `measured ${info.configurations.length} configurations on ${passages.length} candidates`;
    ui.chart.dataset.measured = String(state.measured.size);
  } catch (e) {
    showError('measure', e);
  } finally {
    state.busy = false;
    ui.measure.disabled = false;
    ui.search.disabled = false;
  }
  if (state.again) {
    state.again = false;
    await search();
  }
}

function showCalibration(): void {
  const cal = state.rr?.controller.calibration;
  if (!cal) return;
  const c = cal.fit.coefficients;
  ui.calibration.textContent = [
    `per call ${c.perCall.toFixed(3)} ms, per onnxruntime step ${c.perStep.toFixed(3)} ms`,
    `per input token ${(c.perToken * 1000).toFixed(3)} µs, per token-layer ${(c.perLayerToken * 1000).toFixed(3)} µs, per token²-layer ${(c.perLayerTokenSq * 1e6).toFixed(3)} ns`,
    `fit spread (log) ${cal.fit.spread.toFixed(3)} over ${cal.samples.length} probes:`,
    ...cal.samples.map((s) => `  ${s.config.name.padEnd(10)} ${String(s.shape.pLens.length).padStart(3)} x ${String(Math.max(...s.shape.pLens)).padStart(3)} tokens: ${s.ms.toFixed(1)} ms`),
  ].join('\n');
}

function wire(): void {
  const onBudget = (): void => { ui.budgetValue.textContent = `${budgetMs().toFixed(0)} ms`; };
  onBudget();
  ui.budget.addEventListener('input', () => { onBudget(); updateChart(); });
  ui.budget.addEventListener('change', () => void search());
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) {
    r.addEventListener('change', () => {
      ui.budgetRow.hidden = mode() !== 'auto';
      ui.manualRow.hidden = mode() !== 'manual';
      void search();
    });
  }
  ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); void search(); });
  ui.hybrid.addEventListener('change', () => void search());
  ui.measure.addEventListener('click', () => void measureAll());
  ui.beirLoad.addEventListener('click', () => { if (ui.beirUrl.value.trim()) void useCorpus(() => loadBeirUrl(ui.beirUrl.value.trim())); });
  ui.defaultLoad.addEventListener('click', () => void useCorpus(loadDefaultCorpus));
  for (const input of [ui.files, ui.folder]) {
    input.addEventListener('change', () => { if (input.files?.length) void useCorpus(() => loadFiles([...input.files!])); });
  }
}

async function start(): Promise<void> {
  wire();
  const params = new URLSearchParams(location.search);
  const corpusReady = useCorpus(loadDefaultCorpus);
  const choice = await chooseModel(params);
  ui.modelName.textContent = choice.url;
  if (choice.note) { ui.modelNote.hidden = false; ui.modelNote.textContent = choice.note; }
  try {
    const rr = await loadModel(choice.url, chooseBackend(params), {
      onProgress: (p) => {
        ui.progress.value = p.fraction;
        setStatus('loading', `loading ${p.file} ${(p.loadedBytes / 1e6).toFixed(1)} MB${p.fromCache ? ' (cache)' : ''} — ${(100 * p.fraction).toFixed(0)}%`);
      },
      onCalibration: (done, total) => {
        ui.progress.value = done / total;
        setStatus('calibrating', `calibrating the controller on this device: probe ${done}/${total}`);
      },
    });
    state.rr = rr;
    state.info = await rr.info();
    ui.modelName.textContent = `${state.info.name} (${choice.url}, ${state.info.numLayers} layers, ${state.info.configurations.length} configurations)`;
    ui.backend.textContent = state.info.backend;
    ui.backendReason.textContent = `— ${state.info.reason}; ${crossOriginIsolated ? 'cross-origin isolated (threaded WASM possible)' : 'not cross-origin isolated: single-threaded WASM'}`;
    state.picker = new ConfigPicker(
      { name: $('config-name'), depth: $('depth'), layers: $('compress-layers'), ratio: $('ratio'), mode: $('merge-mode') },
      state.info, () => { if (mode() === 'manual') void search(); },
    );
    showCalibration();
    ui.progress.value = 1;
    await corpusReady;
    setStatus('ready', 'ready');
    ui.search.disabled = false;
    updateChart();
  } catch (e) {
    setStatus('error', 'the model failed to load');
    showError('model', e);
  }
}

void start();
