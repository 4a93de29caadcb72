/**
 * The browser benchmark page: reads its settings from the URL (page-params.ts), runs the same
 * scenarios as the Node CLI (bench/suite.ts) with createReranker on WASM or WebGPU and
 * transformers.js on the same device, shows progress, then the report. The driver
 * (bench/browser/cli.ts) reads `window.benchState`.
 */
import { defaultThreads } from '../../src/backend';
import { parseManifest } from '../../src/manifest';
import { createReranker } from '../../src/index';
import { lastSegment, runBenchmarkIn } from '../suite';
import { defaultSchedule } from '../scenarios/progressive';
import { reportJson } from '../report';
import type { BenchProgress } from '../scenarios/scenario';
import { describeBrowserMachine, describeGpu } from './machine';
import { parsePageParams } from './page-params';
import { ProgressView } from './progress-view';
import { REPORT_CSS, reportSections } from './report-html';
import { loadTransformersForWeb } from './transformers-web';

/** What the driver polls. */
export interface BenchPageState {
  status: 'running' | 'done' | 'error';
  progress?: BenchProgress;
  /** Progress lines so far. */
  log: string[];
  /** The report as JSON text (bench/report.ts), once done. */
  reportJson?: string;
  error?: string;
}

const state: BenchPageState = { status: 'running', log: [] };

let lastPaint = 0;
/**
 * Lets the browser paint (at most every 250 ms): the engine yields between batches with
 * high-priority tasks, so without this the progress display would only update at the end.
 * Runs between timed calls, never inside one.
 */
function paintNow(): Promise<void> | void {
  if (performance.now() - lastPaint < 250) return;
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(() => {
      lastPaint = performance.now();
      resolve();
    }, 0));
  });
}
(window as unknown as { benchState: BenchPageState }).benchState = state;

async function main(): Promise<void> {
  const app = document.getElementById('app') ?? document.body;
  const view = new ProgressView(app);
  const log = (message: string): void => {
    state.log.push(message);
    view.line(message);
    console.log(`[bench] ${message}`);
  };
  try {
    const params = parsePageParams(location.search);
    const { settings } = params;
    const response = await fetch(`${settings.model.replace(/\/+$/, '')}/manifest.json`);
    if (!response.ok) throw new Error(`${settings.model}/manifest.json: HTTP ${response.status}; check the model URL (bench/browser/cli.ts maps a local folder to one).`);
    const manifest = parseManifest(await response.json());
    const progressive = params.progressive === 'default' ? [defaultSchedule(manifest.exits, manifest.architecture.numLayers, settings.topK)] : params.progressive;
    const gpu = settings.backend === 'webgpu' ? await describeGpu() : undefined;
    if (settings.backend === 'webgpu' && !gpu) throw new Error('backend=webgpu but navigator.gpu has no adapter; launch Chromium with --enable-unsafe-webgpu or use backend=wasm.');
    const numThreads = params.threads ?? defaultThreads();
    log(`settings: ${JSON.stringify({ ...settings, progressive, threads: numThreads })}`);
    const report = await runBenchmarkIn({ ...settings, progressive }, {
      machine: describeBrowserMachine(gpu, numThreads),
      createReranker,
      datasetName: lastSegment(settings.dataset),
      matryoshka: { reranker: { numThreads } },
      transformersjs: params.transformersjs ? { device: settings.backend, dtype: params.peerDtype, load: () => loadTransformersForWeb({ numThreads }) } : false,
      log,
      progress: (p) => {
        state.progress = p;
        view.update(p);
        return paintNow();
      },
    });
    state.reportJson = reportJson(report);
    view.done(`done: ${report.rows.length} model rows, ${report.queries} queries`);
    const style = document.createElement('style');
    style.textContent = REPORT_CSS;
    const section = document.createElement('section');
    section.innerHTML = reportSections(report);
    app.append(style, section);
    state.status = 'done';
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    state.error = message;
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = message;
    app.append(p);
    view.done('failed');
    state.status = 'error';
    console.error(`[bench] ${message}`);
  }
}

void main();
