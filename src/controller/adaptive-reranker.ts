/**
 * A reranker with the adaptive controller attached: wraps any `RerankerInterface` (the
 * in-thread engine or the worker proxy) created with the controller's `chooser`, calibrates
 * it, and feeds the wall-clock time of every `budgetMs` call back to the controller.
 *
 * Ready in seconds (`startup: 'fast'`, the default): a saved calibration for this device,
 * backend and bundle is reused (calibration-store.ts); otherwise the controller starts from its
 * prior rescaled by one timed probe, and the full calibration runs in the background once the
 * bundle has fully loaded, one probe run at a time, never while a caller's call is running;
 * it is then saved for the next load.
 *
 *   const rr = await createAdaptiveReranker((chooseConfig) => createWorkerReranker({ model, chooseConfig }));
 *   const { results, decision } = await rr.rank(query, passages, { budgetMs: 40 });
 */
import type {
  BackendInfo, CalibratedConfig, ConfigChooser, ModelInfo, ProgressiveOptions, ProgressiveResult, RankOptions, RankResult, RankShape,
  RerankerInterface,
} from '../types';
import { calibrationKey, type CalibrationStore, defaultCalibrationStore, loadCalibration, saveCalibration } from './calibration-store';
import { AdaptiveController, type CalibrateOptions, type CalibrationSource, isAdaptiveDecision } from './controller';
import type { ControllerOptions } from './options';
import { shapeOf } from './request-shape';

const now = (): number => performance.now();

/** Quiet time after a caller's call before background calibration runs again. */
const QUIET_MS = 1000;

/** Two calls of the same shape as the engine reported them (same token counts and limits). */
function sameShape(a: RankShape, b: RankShape): boolean {
  return a.qLen === b.qLen && a.lengths.length === b.lengths.length && a.lengths.every((l, i) => l === b.lengths[i]) &&
    a.limits.batchSize === b.limits.batchSize && a.limits.maxBatchTokens === b.limits.maxBatchTokens;
}

export type StartupMode = 'fast' | 'full' | 'none';

/** Calibration as the app may show it: what the controller runs on and what is going on. */
export interface CalibrationEvent {
  /**
   * `saved`: a saved calibration was loaded (no probe ran); `probe`: the one-probe start is
   * done; `background`: a background probe finished (`done` of `total`); `full`: the full
   * calibration finished (and was saved when `saved` is true); `failed`: background
   * calibration stopped (`message` says why; the one-probe model stays in use).
   */
  stage: 'saved' | 'probe' | 'background' | 'full' | 'failed';
  source: CalibrationSource;
  done: number;
  total: number;
  saved?: boolean;
  message?: string;
}

export class AdaptiveReranker implements RerankerInterface {
  /** Shape of the last budgeted request (as its result reported it), to learn from explicit calls of that shape. */
  private last: RankShape | null = null;
  private configurations: CalibratedConfig[] | null = null;
  /** One call at a time (callers' and calibration's), so a wait never counts as cost. */
  private lane: Promise<unknown> = Promise.resolve();
  private userCalls = 0;
  private lastUserEnd = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly stop = new AbortController();
  /** The background probe run in flight: a caller's call aborts it (it is retried later). */
  private preemptible: AbortController | null = null;
  /** Settles when background calibration ends (at once when none runs). */
  background: Promise<void> = Promise.resolve();
  /**
   * Settles once every layer has loaded and run once (at once without a startup calibration):
   * a search started after it pays no first-run cost (the demo re-runs its early search then).
   */
  warmed: Promise<void> = Promise.resolve();
  /** Run the deeper sessions once when every layer is in (set by `start`); the run, once begun. */
  private deepWarmUp: 'off' | 'pending' | Promise<void> = 'off';

  constructor(readonly inner: RerankerInterface, readonly controller: AdaptiveController) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lane.then(fn, fn);
    this.lane = run.catch(() => {});
    return run;
  }

  /**
   * Resolves when no caller's call is queued or running and none ended in the last
   * `QUIET_MS` (callers' calls come in bursts: a search, then the next, a "measure all").
   */
  private async idle(): Promise<void> {
    for (;;) {
      if (this.stop.signal.aborted) throw new Error('disposed');
      if (this.userCalls > 0) { await new Promise<void>((resolve) => this.idleWaiters.push(resolve)); continue; }
      const wait = QUIET_MS - (now() - this.lastUserEnd);
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** What calibration runs on: the inner reranker through the lane, not counted as a caller's call. */
  private readonly probeView: RerankerInterface = {
    rank: (q, p, o) => this.exclusive(() => this.inner.rank(q, p, o)),
    rankProgressive: (q, p, o) => this.exclusive(() => this.inner.rankProgressive(q, p, o)),
    info: () => this.inner.info(),
    dispose: async () => {},
  };

  /**
   * What background calibration runs on: like `probeView`, but a caller's call arriving while a
   * probe run is in flight aborts that run (runCalibration retries it once the caller is done),
   * so a search waits for one layer step at most, not for a whole probe.
   */
  private readonly backgroundView: RerankerInterface = {
    rank: async (q, p, o) => {
      const ctl = new AbortController();
      const onStop = () => ctl.abort();
      o?.signal?.addEventListener('abort', onStop, { once: true });
      try {
        return await this.exclusive(() => {
          if (this.userCalls > 0) ctl.abort();
          this.preemptible = ctl;
          return this.inner.rank(q, p, { ...o, signal: ctl.signal });
        });
      } finally {
        if (this.preemptible === ctl) this.preemptible = null;
        o?.signal?.removeEventListener('abort', onStop);
      }
    },
    rankProgressive: (q, p, o) => this.exclusive(() => this.inner.rankProgressive(q, p, o)),
    info: () => this.inner.info(),
    dispose: async () => {},
  };

  /**
   * Rank; with `budgetMs` the controller picks the configuration and learns from the time the
   * call took (measured here, as the caller sees it, without the time spent queued behind
   * another call). A call with a manifest configuration name on a request of the same shape
   * as the last budgeted call (e.g. the demo timing every configuration on a search's passages)
   * teaches it too: both shapes are the ones the results report.
   */
  async rank(query: string, passages: string[], options?: RankOptions): Promise<RankResult> {
    this.userCalls++;
    this.preemptible?.abort();
    try {
      // The first call after the last layer arrived may come before the background warm-up
      // started: it runs the warm-up first (a few short runs), so its own time stays honest.
      if (this.deepWarmUp !== 'off') {
        const info = this.deepWarmUp === 'pending' ? await this.inner.info() : null;
        if (!info || (info.layersReady ?? info.numLayers) >= info.numLayers) await this.warmUpDeep().catch(() => {});
      }
      const { result, ms } = await this.exclusive(async () => {
        const t0 = now();
        const r = await this.inner.rank(query, passages, options);
        return { result: r, ms: now() - t0 };
      });
      if (options?.budgetMs !== undefined) {
        this.last = isAdaptiveDecision(result.decision) ? result.shape : null;
        this.controller.observe(result.decision, ms);
      } else if (typeof options?.config === 'string' && this.last && sameShape(this.last, result.shape)) {
        this.configurations ??= (await this.info()).configurations;
        const config = this.configurations.find((c) => c.name === options.config);
        if (config) this.controller.observeExplicit(config, shapeOf(result.shape), result.backend, ms);
      }
      return result;
    } finally {
      this.userCalls--;
      this.lastUserEnd = now();
      if (this.userCalls === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  rankProgressive(query: string, passages: string[], options: ProgressiveOptions): Promise<ProgressiveResult> {
    return this.exclusive(() => this.inner.rankProgressive(query, passages, options));
  }

  info(): Promise<ModelInfo & BackendInfo> {
    return this.inner.info();
  }

  dispose(): Promise<void> {
    this.stop.abort();
    for (const w of this.idleWaiters.splice(0)) w();
    return this.inner.dispose();
  }

  /** Calibrate as `mode` says (see `AdaptiveRerankerOptions.startup`). */
  async start(mode: StartupMode, options: StartOptions = {}): Promise<void> {
    if (mode === 'none') return;
    const store = options.calibrationStore === undefined ? defaultCalibrationStore() : options.calibrationStore;
    const info = await this.inner.info();
    const key = calibrationKey(info);
    const saved = loadCalibration(store, key);
    const emit = (e: Omit<CalibrationEvent, 'source'>) => options.onCalibration?.({ ...e, source: this.controller.calibrationSource(info.backend) });
    const calibrateOpts = (background: boolean): CalibrateOptions => ({
      signal: this.stop.signal,
      ...(background ? { beforeRun: () => this.idle() } : {}),
      onProbe: (done, total) => { options.onProbe?.(done, total); if (background) emit({ stage: 'background', done, total }); },
    });
    if (saved && saved.backend === info.backend) {
      try {
        this.controller.importCalibration(saved);
        await this.controller.warmUp(this.probeView, { signal: this.stop.signal });
        emit({ stage: 'saved', done: 0, total: 0, saved: true });
        this.background = this.warmed = this.startDeepWarmUp();
        return;
      } catch (e) {
        if (this.stop.signal.aborted) throw e;
        /* unusable saved calibration: calibrate afresh */
      }
    }
    const finish = async (): Promise<void> => {
      const out = this.controller.exportCalibration(info.backend);
      const ok = out ? saveCalibration(store, key, out) : false;
      emit({ stage: 'full', done: 1, total: 1, saved: ok });
    };
    if (mode === 'full') {
      await this.controller.calibrate(this.probeView, { ...calibrateOpts(false), ...(options.signal ? { signal: options.signal } : {}) });
      await finish();
      return;
    }
    await this.controller.quickCalibrate(this.probeView, { signal: this.stop.signal, ...(options.onProbe ? { onProbe: options.onProbe } : {}) });
    emit({ stage: 'probe', done: 1, total: 1 });
    this.warmed = this.startDeepWarmUp();
    this.background = (async () => {
      try {
        await this.warmed;
        await this.controller.calibrate(this.backgroundView, calibrateOpts(true));
        await finish();
      } catch (e) {
        emit({ stage: 'failed', done: 0, total: 0, message: this.stop.signal.aborted ? 'disposed' : (e as Error).message });
      }
    })();
  }

  /** Warm the deeper sessions up once every layer has loaded (or at the first call after that). */
  private startDeepWarmUp(): Promise<void> {
    this.deepWarmUp = 'pending';
    return this.untilLoaded().then(() => this.warmUpDeep()).catch(() => { /* disposed; or a broken run, which the next search reports */ });
  }

  /**
   * Run the deeper sessions once (a short passage each; call it once every layer has loaded):
   * their first run compiles and allocates, and should not land in a search. Runs once.
   */
  private warmUpDeep(): Promise<void> {
    if (this.deepWarmUp === 'off' || this.deepWarmUp === 'pending') {
      this.deepWarmUp = this.controller.warmUp(this.probeView, { signal: this.stop.signal }, true);
    }
    return this.deepWarmUp;
  }

  /** Wait until the progressive load has every layer (the full calibration probes the deepest). */
  private async untilLoaded(): Promise<void> {
    for (;;) {
      if (this.stop.signal.aborted) throw new Error('disposed');
      const info = await this.inner.info();
      if ((info.layersReady ?? info.numLayers) >= info.numLayers) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface StartOptions {
  signal?: AbortSignal;
  onProbe?: (done: number, total: number) => void;
  calibrationStore?: CalibrationStore | null;
  onCalibration?: (event: CalibrationEvent) => void;
}

export interface AdaptiveRerankerOptions extends ControllerOptions, CalibrateOptions {
  /** Skip calibration (the controller then uses its prior until `controller.calibrate`). Same as `startup: 'none'`. */
  skipCalibration?: boolean;
  /**
   * How calibration starts. `fast` (default): a saved calibration if there is one, else the
   * prior rescaled by one timed probe, with the full calibration in the background (saved when
   * done). `full`: a saved calibration, else the full calibration before resolving. `none`:
   * the prior only.
   */
  startup?: StartupMode;
  /** Where calibrations are saved between loads. Default: `localStorage` where available; null: never. */
  calibrationStore?: CalibrationStore | null;
  /** Told when the calibration in use changes (saved, one probe, background progress, full). */
  onCalibration?: (event: CalibrationEvent) => void;
}

/**
 * Create a reranker with `create(chooser)` (pass the chooser as `chooseConfig`), calibrate the
 * controller on it (`startup`) and return the wrapped reranker. The inner reranker is disposed
 * if calibration fails.
 */
export async function createAdaptiveReranker(
  create: (chooseConfig: ConfigChooser) => Promise<RerankerInterface>,
  options: AdaptiveRerankerOptions = {},
): Promise<AdaptiveReranker> {
  const { signal, onProbe, skipCalibration, startup, calibrationStore, onCalibration, beforeRun: _b, ...controllerOptions } = options;
  const controller = new AdaptiveController(controllerOptions);
  const inner = await create(controller.chooser);
  const rr = new AdaptiveReranker(inner, controller);
  try {
    await rr.start(skipCalibration ? 'none' : startup ?? 'fast', {
      ...(signal ? { signal } : {}), ...(onProbe ? { onProbe } : {}),
      ...(calibrationStore !== undefined ? { calibrationStore } : {}), ...(onCalibration ? { onCalibration } : {}),
    });
  } catch (e) {
    await rr.dispose().catch(() => {});
    throw e;
  }
  return rr;
}
