/**
 * The demo page: corpus -> BM25 first stage (tools/data/bm25) -> re-ranking in a Web Worker with
 * a manual configuration or the adaptive controller under a latency budget, and a chart of
 * every configuration on this device. See index.html for the layout.
 *
 * Start-up: the backend line is filled by the first progress event; the model can rank once
 * its shallow layers are in (progressive loading), the controller starts from one probe (or a
 * saved calibration) and calibrates fully in the background; the default budget is sized from
 * what this device was measured to meet.
 */
import type { AdaptiveReranker, CalibrationEvent } from '../src/controller/adaptive-reranker';
import { accuracyScale } from '../src/controller/accuracy';
import { type CandidatePrediction, isAdaptiveDecision } from '../src/controller/controller';
import { Bm25Index, documentText } from '../tools/data/bm25';
import type { BackendInfo, LoadProgress, ModelInfo, RankOptions } from '../src/types';
import { defaultBudget, msToSlider, sliderToMs } from './budget';
import { renderCalibration } from './calibration-view';
import { type ChartPoint, renderChart } from './chart';
import { ConfigPicker, nameOf } from './config-picker';
import { type DemoCorpus, loadBeirUrl, loadDefaultCorpus, loadFiles } from './corpus';
import { explainPick } from './explain';
import { chooseBackend, chooseModel, loadModel } from './model';
import { renderResults, type SearchOutcome } from './results';
import { progressText } from './status';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: #${id} missing from index.html`);
  return e as T;
};

const ui = {
  status: $('status'), modelName: $('model-name'), modelNote: $('model-note'), progress: $<HTMLProgressElement>('load-progress'),
  loadText: $('load-text'), loadDetail: $('load-detail'), backend: $('backend'), backendReason: $('backend-reason'),
  corpusName: $('corpus-name'), beirUrl: $<HTMLInputElement>('beir-url'), beirLoad: $<HTMLButtonElement>('beir-load'),
  files: $<HTMLInputElement>('files'), folder: $<HTMLInputElement>('folder'), defaultLoad: $<HTMLButtonElement>('default-load'),
  budget: $<HTMLInputElement>('budget'), budgetValue: $<HTMLOutputElement>('budget-value'), budgetNote: $('budget-note'), budgetRow: $('budget-row'), manualRow: $('manual-row'),
  form: $<HTMLFormElement>('search-form'), query: $<HTMLInputElement>('query'), candidates: $<HTMLInputElement>('candidates'),
  search: $<HTMLButtonElement>('search'), spinner: $('spinner'), hybrid: $<HTMLInputElement>('hybrid'), samples: $('samples'), summary: $('summary'), results: $<HTMLOListElement>('results'),
  chart: $('chart'), chartCaption: $('chart-caption'), measure: $<HTMLButtonElement>('measure'), measureText: $('measure-text'),
  calibration: $('calibration'), corpusError: $('corpus-error'),
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
  /** A search was asked for while busy or loading: run it (with the controls' latest values) after. */
  again: false,
  /** The last search ran before every layer had loaded: run it again, deeper, once they have. */
  refine: false,
  /** A corpus is loading (a search asked for meanwhile runs once it and the model are ready). */
  corpusLoading: false,
  calibration: null as CalibrationEvent | null,
  /** The user moved the budget slider: keep their value. */
  budgetTouched: false,
  /** The model can rank (the controller is measuring the device): loading lines go to the detail. */
  modelUp: false,
  /** The derived default budget, exactly (the slider's steps would round it), until the slider moves. */
  exactBudget: null as number | null,
  /** Bumped when the corpus changes: a search still running for the old one is not shown. */
  generation: 0,
};

const budgetMs = (): number => state.exactBudget ?? sliderToMs(Number(ui.budget.value));
const mode = (): 'auto' | 'manual' => (document.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value === 'manual' ? 'manual' : 'auto');

function setStatus(s: 'loading' | 'calibrating' | 'ready' | 'error', text: string, detail = ''): void {
  ui.status.dataset.state = s;
  ui.loadText.textContent = text;
  ui.loadDetail.textContent = detail;
}

function message(kind: 'error' | 'info' | 'warning', text: string): void {
  const div = document.createElement('div');
  div.className = kind;
  div.textContent = text;
  ui.summary.replaceChildren(div);
}

function showError(where: string, e: unknown): void {
  const msg = e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : String(e);
  message('error', `${where}: ${msg}`);
  console.warn(where, e);
}

/** Forget the previous corpus's search: results, messages, chart. */
function clearSearch(): void {
  state.generation++;
  state.last = null;
  state.predictions = null;
  state.measured.clear();
  ui.summary.replaceChildren();
  ui.results.replaceChildren();
  ui.measure.disabled = true;
  ui.measureText.textContent = '';
  delete ui.chart.dataset.measured;
  updateChart();
}

async function useCorpus(load: () => Promise<DemoCorpus>): Promise<void> {
  ui.corpusName.textContent = 'loading…';
  ui.corpusError.hidden = true;
  clearSearch();
  state.corpusLoading = true;
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
    ui.corpusName.textContent = state.corpus ? `${state.corpus.name} (unchanged)` : 'no corpus';
    ui.corpusError.hidden = false;
    ui.corpusError.textContent = `Could not load the corpus: ${e instanceof Error ? e.message : String(e)}`;
    console.warn('corpus', e);
  } finally {
    state.corpusLoading = false;
  }
  if (state.again && state.rr && state.picker) {
    state.again = false;
    await search();
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
    ? `For the last query's ${n} candidates on ${info.backend}.`
    : 'Run a search: the chart shows every configuration for its candidates.';
}

function setBusy(busy: boolean): void {
  state.busy = busy;
  ui.spinner.hidden = !busy;
  ui.search.disabled = busy;
}

async function search(): Promise<void> {
  const { rr, index, corpus, picker } = state;
  const query = ui.query.value.trim();
  if (!query) {
    message('info', 'Type a query first, or click one of the sample queries below the search box.');
    ui.query.focus();
    return;
  }
  if (state.corpusLoading) {
    state.again = true;
    message('info', 'The corpus is still loading: your search will run as soon as it is ready.');
    return;
  }
  if (!corpus || !index) {
    message('info', 'No corpus is loaded: load the default corpus or your own files first.');
    return;
  }
  if (!rr || !picker) {
    state.again = true;
    message('info', 'The model is still loading: your search will run as soon as it is ready.');
    return;
  }
  if (state.busy) { state.again = true; return; }
  setBusy(true);
  const generation = state.generation;
  try {
    const k = Math.max(1, Math.min(100, Number(ui.candidates.value) || 30));
    const t0 = performance.now();
    const hits = index.search(query, k);
    const bm25Ms = performance.now() - t0;
    if (hits.length === 0) {
      message('info', 'BM25 found no passage sharing a word with the query; try other words.');
      ui.results.replaceChildren();
      return;
    }
    const candidates = hits.map((h) => ({ doc: corpus.documents[h.index]!, bm25: h.score }));
    // z-scores need two candidates or more: one candidate is ranked by the model alone.
    const fuse = ui.hybrid.checked && candidates.length >= 2;
    const options: RankOptions = {
      ...(mode() === 'auto' ? { budgetMs: budgetMs() } : { config: picker.value() }),
      ...(fuse ? { firstStageScores: candidates.map((c) => c.bm25) } : {}),
    };
    const layersBefore = state.info?.layersReady ?? state.info?.numLayers ?? 0;
    const t1 = performance.now();
    const result = await rr.rank(query, candidates.map((c) => documentText(c.doc)), options);
    const rankMs = performance.now() - t1;
    state.info = await rr.info();
    if (generation !== state.generation) return; // the corpus changed meanwhile
    const same = state.last && state.last.query === query && state.last.candidates.length === candidates.length;
    if (!same) state.measured.clear();
    if (isAdaptiveDecision(result.decision)) state.predictions = result.decision.candidates;
    else if (!same) state.predictions = null;
    state.last = { query, candidates, result, bm25Ms, rankMs };
    renderResults(ui.results, ui.summary, state.last);
    if (isAdaptiveDecision(result.decision)) appendLine('why', explainPick(result.decision, state.info));
    const all = state.info.numLayers;
    if (mode() === 'auto' && layersBefore < all && result.config.depth <= layersBefore) {
      appendLine('info', `Ranked with the ${layersBefore} layers loaded so far; the search runs again once all ${all} are in.`);
      if ((state.info.layersReady ?? all) >= all) void rr.warmed.then(search); // they arrived during this search
      else state.refine = true;
    }
    if (ui.hybrid.checked && !fuse) appendLine('info', 'Only one candidate: fusing with BM25 needs two or more, so it is ranked by the model alone.');
    ui.measure.disabled = false;
    updateChart();
    refreshCalibration();
  } catch (e) {
    showError('search', e);
  } finally {
    setBusy(false);
  }
  if (state.again) {
    state.again = false;
    await search();
  }
}

function appendLine(cls: string, text: string): void {
  const div = document.createElement('div');
  div.className = cls;
  div.textContent = text;
  ui.summary.append(div);
}

/** Time every configuration on the last search's candidates. */
async function measureAll(): Promise<void> {
  const { rr, info, last } = state;
  if (!rr || !info || !last || state.busy) return;
  setBusy(true);
  ui.measure.disabled = true;
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
    setBusy(false);
    ui.measure.disabled = false;
  }
  if (state.again) {
    state.again = false;
    await search();
  }
}

function refreshCalibration(): void {
  const { rr, info } = state;
  if (!rr || !info) return;
  renderCalibration(ui.calibration, rr.controller, info, info.backend, state.calibration);
  ui.status.dataset.calibration = state.calibration?.stage === 'saved' ? 'saved' : rr.controller.calibrationSource(info.backend);
}

function showBudget(): void {
  ui.budgetValue.textContent = `${budgetMs().toFixed(0)} ms`;
}

function wire(): void {
  showBudget();
  ui.budget.addEventListener('input', () => { state.budgetTouched = true; state.exactBudget = null; ui.budgetNote.textContent = ''; showBudget(); updateChart(); });
  ui.budget.addEventListener('change', () => void search());
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) {
    r.addEventListener('change', () => {
      ui.budgetRow.hidden = mode() !== 'auto';
      ui.manualRow.hidden = mode() !== 'manual';
      if (state.last) void search();
    });
  }
  ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); void search(); });
  ui.hybrid.addEventListener('change', () => { if (state.last) void search(); });
  ui.measure.addEventListener('click', () => void measureAll());
  ui.beirLoad.addEventListener('click', () => {
    const url = ui.beirUrl.value.trim();
    if (!url) { message('info', 'Type the URL of a BEIR folder first, e.g. /datasets/cisi.'); return; }
    void useCorpus(() => loadBeirUrl(url));
  });
  ui.defaultLoad.addEventListener('click', () => void useCorpus(loadDefaultCorpus));
  for (const input of [ui.files, ui.folder]) {
    input.addEventListener('change', () => { if (input.files?.length) void useCorpus(() => loadFiles([...input.files!])); });
  }
}

function onProgress(p: LoadProgress): void {
  ui.backend.textContent = p.backend;
  ui.backendReason.textContent = `— ${p.backendReason}`;
  ui.status.dataset.phase = p.phase;
  ui.status.dataset.layers = String(p.layersReady);
  if (p.phase === 'ready') {
    ui.status.dataset.loaded = 'all';
    if (state.rr) { ui.loadDetail.textContent = `all ${p.numLayers} layers loaded`; refreshCalibration(); }
    if (state.refine && state.rr) { state.refine = false; void state.rr.warmed.then(search); }
    return;
  }
  const { text, detail } = progressText(p);
  ui.progress.value = p.fraction;
  if (state.modelUp) { ui.loadDetail.textContent = `${text} (${detail})`; return; }
  setStatus('loading', text, detail);
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
      onProgress,
      onModel: () => { state.modelUp = true; setStatus('calibrating', 'Measuring this device (one short probe)…', ''); },
      onCalibration: (e) => {
        state.calibration = e;
        if (e.stage === 'saved') setStatus('calibrating', 'Using the calibration saved on this device…');
        refreshCalibration();
      },
    });
    state.rr = rr;
    state.info = await rr.info();
    const info = state.info;
    ui.modelName.textContent = `${info.name} (${choice.url}, ${info.numLayers} layers, ${info.configurations.length} configurations)`;
    ui.backend.textContent = info.backend;
    ui.backendReason.textContent = `— ${info.reason}; ${crossOriginIsolated ? `threaded WASM possible (${info.threads ?? '?'} threads)` : 'not cross-origin isolated: single-threaded WASM'}`;
    state.picker = new ConfigPicker(
      { name: $('config-name'), depth: $('depth'), layers: $('compress-layers'), ratio: $('ratio'), mode: $('merge-mode') },
      info, () => { if (mode() === 'manual') void search(); },
    );
    await corpusReady;
    if (!state.budgetTouched) {
      const b = defaultBudget(rr.controller, info, info.backend, state.corpus?.documents ?? []);
      ui.budget.value = String(msToSlider(b.ms));
      state.exactBudget = b.ms;
      ui.budgetNote.textContent = b.note;
      ui.status.dataset.defaultBudget = String(b.ms);
      showBudget();
    }
    ui.progress.value = 1;
    const loaded = (info.layersReady ?? info.numLayers) >= info.numLayers;
    setStatus('ready', 'Ready', loaded ? `all ${info.numLayers} layers loaded` : `layers ready ${info.layersReady}/${info.numLayers}: the deeper ones are still arriving`);
    refreshCalibration();
    updateChart();
    void rr.background.then(refreshCalibration);
    if (state.again) {
      state.again = false;
      await search();
    }
  } catch (e) {
    setStatus('error', 'The model failed to load');
    showError('model', e);
  }
}

void start();
