/**
 * Loading the model for the demo: the shipped bundle (models/minilm-l6-scifact/) or, while it
 * is absent, the tiny random-weights fixture with a visible note; `?model=<url>` overrides,
 * `?backend=wasm|webgpu|auto` picks the backend. The model runs in a Web Worker (worker
 * proxy); the adaptive controller lives here on the main thread and is calibrated on it.
 */
import { type AdaptiveReranker, type CalibrationEvent, createAdaptiveReranker } from '../src/controller/adaptive-reranker';
import { createWorkerReranker } from '../src/index';
import type { Backend, LoadProgress } from '../src/types';

export const SHIPPED = '/models/minilm-l6-scifact/';
export const FALLBACK = '/test/fixtures/tiny/';

export interface ModelChoice {
  url: string;
  /** Shown next to the model name when it is not the shipped bundle. */
  note: string | null;
}

/** True when `url` holds a bundle manifest (not vite's HTML fallback page). */
async function hasManifest(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}manifest.json`, { cache: 'no-store' });
    if (!res.ok) return false;
    const m = (await res.json()) as { format?: string };
    return m.format === 'matryoshka-reranker';
  } catch {
    return false;
  }
}

export async function chooseModel(params: URLSearchParams): Promise<ModelChoice> {
  const asked = params.get('model');
  if (asked) return { url: asked.endsWith('/') ? asked : `${asked}/`, note: `bundle from ?model=${asked}` };
  if (await hasManifest(SHIPPED)) return { url: SHIPPED, note: null };
  return {
    url: FALLBACK,
    note: `the trained bundle ${SHIPPED} is not there yet: using the tiny random-weights test fixture, so rankings are meaningless (pipeline and timings only)`,
  };
}

export function chooseBackend(params: URLSearchParams): Backend {
  const b = params.get('backend');
  return b === 'wasm' || b === 'webgpu' || b === 'auto' ? b : 'auto';
}

export interface LoadCallbacks {
  onProgress(p: LoadProgress): void;
  /** The model can rank (with the layers loaded so far); the controller calibrates next. */
  onModel(): void;
  onCalibration(e: CalibrationEvent): void;
}

/**
 * Load in a worker (progressively: it can rank once the shallow layers are in) and start the
 * controller fast: a saved calibration, or one probe with the full calibration in the background.
 */
export function loadModel(url: string, backend: Backend, cb: LoadCallbacks): Promise<AdaptiveReranker> {
  return createAdaptiveReranker(
    async (chooseConfig) => {
      const rr = await createWorkerReranker({ model: url, backend, chooseConfig, onProgress: cb.onProgress });
      cb.onModel();
      return rr;
    },
    { onCalibration: cb.onCalibration },
  );
}
