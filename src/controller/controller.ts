/**
 * The adaptive controller: serves `rank(query, passages, { budgetMs })` through the engine's
 * `chooseConfig` hook. For each manifest configuration it predicts the call's latency from the
 * request's shape (cost-model.ts, coefficients from calibration.ts, corrected online by
 * correction.ts) and picks the most accurate configuration (accuracy.ts) whose upper
 * prediction fits the budget, or the fastest one with a warning when none fits.
 *
 *   const controller = new AdaptiveController();
 *   const rr = await createWorkerReranker({ model, chooseConfig: controller.chooser });
 *   await controller.calibrate(rr);
 *   const t0 = performance.now();
 *   const res = await rr.rank(query, passages, { budgetMs: 50 });
 *   controller.observe(res.decision, performance.now() - t0);
 *
 * `AdaptiveReranker` (adaptive-reranker.ts) does the calibrate/observe steps for you.
 */
import type {
  CalibratedConfig, ConfigChooser, ConfigRequest, ControllerDecision, RerankerInterface, ResolvedBackend,
} from '../types';
import { accuracyScale } from './accuracy';
import { type CalibrationFit, type CalibrationSample, calibrationPlan, fitCostModel, runCalibration } from './calibration';
import { LatencyCorrection } from './correction';
import { type CostCoefficients, predictMs, workCounts } from './cost-model';
import { type ControllerOptions, type ResolvedControllerOptions, resolveControllerOptions } from './options';
import { defaultBatchingLimits, type RequestShape, shapeOf } from './request-shape';

/** One configuration's prediction for a request. */
export interface CandidatePrediction {
  name: string;
  /** Central prediction (cost model times the online correction). */
  predictedMs: number;
  /** Upper prediction (`safety` standard deviations above): what must fit the budget. */
  upperMs: number;
  /** On the controller's accuracy scale (dev nDCG@10, or flopsRatio without it). */
  accuracy: number;
  fits: boolean;
}

/** The controller's decision: the public `ControllerDecision` plus what it was based on. */
export interface AdaptiveDecision extends ControllerDecision {
  /** Identifies the decision when its timing is observed. */
  id: number;
  /** Prediction of the uncorrected cost model (what observed timings are compared with). */
  basePredictedMs: number;
  upperMs: number;
  backend: ResolvedBackend;
  /** False before `calibrate()`: predictions come from a generic prior. */
  calibrated: boolean;
  /** What the accuracy numbers are (dev nDCG@10 or the flopsRatio stand-in). */
  accuracyLabel: string;
  /** Every configuration of the request, in manifest order. */
  candidates: CandidatePrediction[];
}

export function isAdaptiveDecision(d: ControllerDecision | undefined | null): d is AdaptiveDecision {
  return !!d && typeof (d as AdaptiveDecision).id === 'number' && typeof (d as AdaptiveDecision).basePredictedMs === 'number' &&
    typeof (d as AdaptiveDecision).backend === 'string';
}

export interface CalibrateOptions {
  signal?: AbortSignal;
  onProbe?: (done: number, total: number) => void;
}

const round = (x: number): number => Math.round(x * 10) / 10;

export class AdaptiveController {
  private readonly options: ResolvedControllerOptions;
  private coefficients: CostCoefficients;
  private fit: CalibrationFit | null = null;
  private samples: CalibrationSample[] = [];
  private readonly corrections = new Map<ResolvedBackend, LatencyCorrection>();
  private forced: CalibratedConfig | null = null;
  /** Shapes of recent decisions, by id, until their timing is observed. */
  private readonly pending = new Map<number, { config: CalibratedConfig; shape: RequestShape }>();
  private nextId = 1;
  /** Observed calls (real shapes), the most recent `refitWindow`. */
  private observed: CalibrationSample[] = [];
  private sinceRefit = 0;
  private lastForcedShape: RequestShape | null = null;
  /** Batching limits the engine last reported (for the calibration plan). */
  private limitsHint: RequestShape['limits'] | null = null;

  constructor(options: ControllerOptions = {}) {
    this.options = resolveControllerOptions(options);
    this.coefficients = { ...this.options.prior };
  }

  /** Pass this as `chooseConfig` to `createReranker` / `createWorkerReranker`. */
  readonly chooser: ConfigChooser = (request) => this.choose(request);

  get calibrated(): boolean {
    return this.fit !== null;
  }

  /** The cost model's current coefficients (ms per unit of work). */
  get costCoefficients(): CostCoefficients {
    return { ...this.coefficients };
  }

  /** The last calibration: its fit and samples (null before `calibrate()`). */
  get calibration(): { fit: CalibrationFit; samples: CalibrationSample[] } | null {
    return this.fit ? { fit: this.fit, samples: [...this.samples] } : null;
  }

  /** State of the online correction for `backend` (mean/variance of log observed/predicted). */
  correctionState(backend: ResolvedBackend): ReturnType<LatencyCorrection['snapshot']> {
    return this.correction(backend).snapshot();
  }

  /**
   * Time the calibration probes on `rr` (which must have been created with this controller's
   * `chooser`) and fit the cost model. Resets the online correction to the fit's residuals.
   */
  async calibrate(rr: RerankerInterface, options: CalibrateOptions = {}): Promise<CalibrationFit> {
    const info = await rr.info();
    const hook = {
      force: (c: CalibratedConfig | null) => { this.forced = c; this.lastForcedShape = null; },
      captured: () => this.lastForcedShape,
    };
    const probes = calibrationPlan(info, this.limitsHint ?? defaultBatchingLimits);
    const samples = await runCalibration(rr, probes, hook, {
      repeats: this.options.calibrationRepeats,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProbe ? { onProbe: options.onProbe } : {}),
    });
    return this.setCalibration(samples, info.backend);
  }

  /** Fit from samples measured elsewhere (tests, a saved calibration). */
  setCalibration(samples: readonly CalibrationSample[], backend: ResolvedBackend): CalibrationFit {
    const fit = fitCostModel(samples);
    this.fit = fit;
    this.samples = [...samples];
    this.observed = [];
    this.sinceRefit = 0;
    this.coefficients = fit.coefficients;
    // Start at the level and spread of every timed run (the fit follows the fastest ones).
    this.corrections.set(backend, new LatencyCorrection(this.options.smoothing, this.options.minSpread, {
      mean: fit.runs.bias, variance: fit.runs.spread ** 2, count: 1,
    }));
    return fit;
  }

  /** Observed calls refits have used (the most recent first-in-first-out window). */
  get observedCalls(): number {
    return this.observed.length;
  }

  /**
   * Refit the coefficients on the calibration probes plus the observed calls, then rebuild
   * the backend's correction by replaying the observed calls against the new fit.
   */
  private refit(backend: ResolvedBackend): void {
    if (!this.fit || this.observed.length === 0) return;
    // The probes keep every term identifiable; as observed calls accumulate they dominate.
    const probeWeight = Math.min(1, this.options.refitEvery / this.observed.length);
    const fit = fitCostModel([...this.samples, ...this.observed], [...this.samples.map(() => probeWeight), ...this.observed.map(() => 1)]);
    this.coefficients = fit.coefficients;
    const corr = new LatencyCorrection(this.options.smoothing, this.options.minSpread, { mean: 0, variance: this.fit.runs.spread ** 2, count: 1 });
    for (const o of this.observed) corr.update(o.ms, predictMs(fit.coefficients, workCounts(o.config, o.shape)));
    this.corrections.set(backend, corr);
    this.sinceRefit = 0;
  }

  /** Predictions for every configuration on a request shape (the demo's chart uses these). */
  predict(configurations: readonly CalibratedConfig[], shape: RequestShape, backend: ResolvedBackend, budgetMs = Infinity): CandidatePrediction[] {
    const corr = this.correction(backend);
    const scale = accuracyScale(configurations);
    const k = this.options.safety;
    return configurations.map((c) => {
      const base = predictMs(this.coefficients, workCounts(c, shape));
      const upperMs = base * corr.upperFactor(k);
      return { name: c.name, predictedMs: base * corr.factor, upperMs, accuracy: scale.of(c), fits: upperMs <= budgetMs };
    });
  }

  /** The decision for one engine request (the `chooser` calls this). */
  choose(request: ConfigRequest): AdaptiveDecision {
    const shape = shapeOf(request, this.options.fallbackQLen);
    this.limitsHint = shape.limits;
    const configs = request.configurations;
    const scale = accuracyScale(configs);
    if (this.forced) {
      this.lastForcedShape = shape;
      return {
        id: 0, config: this.forced, predictedMs: 0, budgetMs: request.budgetMs, fits: true, basePredictedMs: 0, upperMs: 0,
        backend: request.backend, calibrated: this.calibrated, accuracyLabel: scale.label, candidates: [],
      };
    }
    if (configs.length === 0) throw new RangeError('AdaptiveController: the request lists no configurations (the bundle manifest has none)');
    const candidates = this.predict(configs, shape, request.backend, request.budgetMs);
    let pick = -1;
    candidates.forEach((c, i) => {
      if (!c.fits) return;
      const p = pick >= 0 ? candidates[pick]! : null;
      if (!p || c.accuracy > p.accuracy || (c.accuracy === p.accuracy && c.upperMs < p.upperMs)) pick = i;
    });
    const fits = pick >= 0;
    if (!fits) pick = candidates.reduce((best, c, i) => (c.upperMs < candidates[best]!.upperMs ? i : best), 0);
    const chosen = candidates[pick]!;
    const corr = this.correction(request.backend);
    const warnings: string[] = [];
    if (!fits) {
      warnings.push(`no configuration fits the ${round(request.budgetMs)} ms budget for ${shape.pLens.length} passages: ` +
        `using the fastest, ${chosen.name} (predicted ${round(chosen.predictedMs)} ms, up to ${round(chosen.upperMs)} ms); ` +
        'raise budgetMs or re-rank fewer or shorter passages');
    }
    if (!this.calibrated) warnings.push('controller not calibrated: predictions use a generic prior; call controller.calibrate(reranker) first');
    const id = this.nextId++;
    this.pending.set(id, { config: configs[pick]!, shape });
    if (this.pending.size > 256) this.pending.delete(this.pending.keys().next().value!);
    return {
      id,
      config: { ...configs[pick]! },
      predictedMs: chosen.predictedMs,
      budgetMs: request.budgetMs,
      fits,
      ...(warnings.length ? { warning: warnings.join('; ') } : {}),
      basePredictedMs: chosen.predictedMs / corr.factor,
      upperMs: chosen.upperMs,
      backend: request.backend,
      calibrated: this.calibrated,
      accuracyLabel: scale.label,
      candidates,
    };
  }

  /** The request shape behind a decision not yet observed (null if unknown). */
  shapeFor(decision: ControllerDecision | undefined): RequestShape | null {
    return isAdaptiveDecision(decision) ? this.pending.get(decision.id)?.shape ?? null : null;
  }

  /**
   * Feed back the time of a call with an explicitly chosen configuration on a request whose
   * shape is known (e.g. the same passages as an earlier budgeted call).
   */
  observeExplicit(config: CalibratedConfig, shape: RequestShape, backend: ResolvedBackend, observedMs: number): void {
    const base = predictMs(this.coefficients, workCounts(config, shape));
    const id = this.nextId++;
    this.pending.set(id, { config, shape });
    const decision: AdaptiveDecision = { id, config, predictedMs: base, budgetMs: Infinity, fits: true, basePredictedMs: base, upperMs: base, backend, calibrated: this.calibrated, accuracyLabel: '', candidates: [] };
    this.observe(decision, observedMs);
  }

  /**
   * Feed back the observed wall-clock time of a call decided by this controller. Decisions
   * from another controller, or a missing decision, are ignored.
   */
  observe(decision: ControllerDecision | undefined, observedMs: number): void {
    if (!isAdaptiveDecision(decision) || decision.basePredictedMs <= 0) return;
    const basis = this.pending.get(decision.id);
    this.pending.delete(decision.id);
    // A refit since the decision changed the base model: compare with the current one.
    const base = basis ? predictMs(this.coefficients, workCounts(basis.config, basis.shape)) : decision.basePredictedMs;
    this.correction(decision.backend).update(observedMs, base);
    if (!basis || !this.fit || this.options.refitEvery === 0) return;
    this.observed.push({ config: basis.config, shape: basis.shape, ms: observedMs });
    if (this.observed.length > this.options.refitWindow) this.observed.shift();
    if (++this.sinceRefit >= this.options.refitEvery) this.refit(decision.backend);
  }

  private correction(backend: ResolvedBackend): LatencyCorrection {
    let c = this.corrections.get(backend);
    if (!c) {
      // Uncalibrated backend: start with a wide spread so the first calls are cautious.
      c = new LatencyCorrection(this.options.smoothing, this.options.minSpread, { mean: 0, variance: 0.25, count: 0 });
      this.corrections.set(backend, c);
    }
    return c;
  }
}
