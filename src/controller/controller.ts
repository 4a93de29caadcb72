/**
 * The adaptive controller: serves `rank(query, passages, { budgetMs })` through the engine's
 * `chooseConfig` hook. For each manifest configuration it predicts the call's latency from the
 * request's shape (cost-model.ts, coefficients from calibration.ts, corrected online by
 * correction.ts) and picks the most accurate configuration (accuracy.ts) whose upper
 * prediction fits the budget, or the fastest one with a warning when none fits.
 *
 *   const controller = new AdaptiveController();
 *   const rr = await createWorkerReranker({ model, chooseConfig: controller.chooser });
 *   await controller.calibrate(rr); // explicit-configuration calls: rank(q, p, { config })
 *   const t0 = performance.now();
 *   const res = await rr.rank(query, passages, { budgetMs: 50 });
 *   controller.observe(res.decision, performance.now() - t0);
 *
 * `AdaptiveReranker` (adaptive-reranker.ts) does the calibrate/observe steps for you.
 */
import type {
  CalibratedConfig, ConfigChooser, ConfigRequest, ControllerDecision, ModelInfo, RerankerInterface, ResolvedBackend,
} from '../types';
import { accuracyScale } from './accuracy';
import { type CalibrationFit, type CalibrationSample, calibrationPlan, fitCostModel, plainConfig, probeText, runCalibration, runConfig } from './calibration';
import { LatencyCorrection } from './correction';
import { nnls } from './least-squares';
import { type CostCoefficients, predictMs, priorCoefficients, webgpuPriorCoefficients, workCounts } from './cost-model';
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
  /** Where the cost model of this backend comes from (see `CalibrationSource`). */
  calibration: CalibrationSource;
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
  /** Awaited before each probe run (lets an app hold background calibration while it is busy). */
  beforeRun?: () => Promise<void>;
}

/**
 * Where a backend's cost model comes from: `prior` (generic coefficients), `probe` (the prior
 * rescaled by one timed probe on this device: `quickCalibrate`), `calibrated` (fit to the
 * full set of probes: `calibrate`, or a saved calibration).
 */
export type CalibrationSource = 'prior' | 'probe' | 'calibrated';

/** A calibration as saved between page loads (plain JSON). */
export interface SavedCalibration {
  backend: ResolvedBackend;
  samples: CalibrationSample[];
}

/** One backend's cost model: each backend is timed and fitted on its own. */
interface BackendModel {
  coefficients: CostCoefficients;
  fit: CalibrationFit | null;
  samples: CalibrationSample[];
  /** Observed calls (real shapes), the most recent `refitWindow`. */
  observed: CalibrationSample[];
  sinceRefit: number;
  source: CalibrationSource;
  correction: LatencyCorrection;
}

/** Log-spread assumed after a single probe: the prior's shape errors, not just timing noise. */
const PROBE_SPREAD = 0.3;

const round = (x: number): number => Math.round(x * 10) / 10;

/**
 * The prior rescaled to a few timed probes: its fixed part (per call, per step) and its work part
 * (per token and token-layer) each get their own factor (non-negative least squares on relative
 * error); with one probe, or when a factor comes out 0, one factor for both.
 */
export function rescalePrior(prior: CostCoefficients, samples: readonly CalibrationSample[]): CostCoefficients {
  const halves = samples.map((s) => {
    const c = workCounts(s.config, s.shape);
    return [prior.perCall * c.perCall + prior.perStep * c.perStep, prior.perToken * c.perToken + prior.perLayerToken * c.perLayerToken + prior.perLayerTokenSq * c.perLayerTokenSq];
  });
  let [a, b] = samples.length >= 2 ? nnls(halves, samples.map((s) => s.ms), samples.map((s) => 1 / Math.max(s.ms, 1e-3) ** 2)) : [0, 0];
  if (!(a! > 0 && b! > 0)) {
    const last = samples[samples.length - 1]!;
    a = b = last.ms / Math.max(1e-6, predictMs(prior, workCounts(last.config, last.shape)));
  }
  return {
    perCall: prior.perCall * a!, perStep: prior.perStep * a!,
    perToken: prior.perToken * b!, perLayerToken: prior.perLayerToken * b!, perLayerTokenSq: prior.perLayerTokenSq * b!,
  };
}

export class AdaptiveController {
  private readonly options: ResolvedControllerOptions;
  private readonly models = new Map<ResolvedBackend, BackendModel>();
  /** The backend last calibrated or asked about: what the getters describe. */
  private current: ResolvedBackend = 'wasm';
  /** Shapes of recent decisions, by id, until their timing is observed. */
  private readonly pending = new Map<number, { config: CalibratedConfig; shape: RequestShape }>();
  private nextId = 1;
  /** Batching limits the engine last reported (for the calibration plan). */
  private limitsHint: RequestShape['limits'] | null = null;

  constructor(options: ControllerOptions = {}) {
    this.options = resolveControllerOptions(options);
  }

  /** Pass this as `chooseConfig` to `createReranker` / `createWorkerReranker`. */
  readonly chooser: ConfigChooser = (request) => this.choose(request);

  /** The prior of a backend: option `prior` when given, else the built-in one for it. */
  private priorFor(backend: ResolvedBackend): CostCoefficients {
    if (this.options.prior !== priorCoefficients) return { ...this.options.prior };
    return { ...(backend === 'webgpu' ? webgpuPriorCoefficients : priorCoefficients) };
  }

  private model(backend: ResolvedBackend): BackendModel {
    let m = this.models.get(backend);
    if (!m) {
      // Uncalibrated backend: start with a wide spread so the first calls are cautious.
      m = {
        coefficients: this.priorFor(backend), fit: null, samples: [], observed: [], sinceRefit: 0, source: 'prior',
        correction: new LatencyCorrection(this.options.smoothing, this.options.minSpread, { mean: 0, variance: 0.25, count: 0 }),
      };
      this.models.set(backend, m);
    }
    return m;
  }

  /** True once the backend in use has more than the prior (a probe or a full calibration). */
  get calibrated(): boolean {
    return this.model(this.current).source !== 'prior';
  }

  /** Where the cost model of `backend` (default: the one in use) comes from. */
  calibrationSource(backend: ResolvedBackend = this.current): CalibrationSource {
    return this.model(backend).source;
  }

  /** The backend the getters describe (the last one calibrated or asked about). */
  get backend(): ResolvedBackend {
    return this.current;
  }

  /** The cost model's current coefficients (ms per unit of work) for the backend in use. */
  get costCoefficients(): CostCoefficients {
    return { ...this.model(this.current).coefficients };
  }

  /** The last full calibration of the backend in use: its fit and samples (null before). */
  get calibration(): { fit: CalibrationFit; samples: CalibrationSample[] } | null {
    const m = this.model(this.current);
    return m.fit ? { fit: m.fit, samples: [...m.samples] } : null;
  }

  /** State of the online correction for `backend` (mean/variance of log observed/predicted). */
  correctionState(backend: ResolvedBackend): ReturnType<LatencyCorrection['snapshot']> {
    return this.model(backend).correction.snapshot();
  }

  /**
   * Time the calibration probes on `rr` (explicit configurations through its public `rank`; it
   * must be created with this controller's `chooser` for `budgetMs` calls, not for this) and fit
   * the cost model. Resets the online correction to the fit's residuals.
   */
  async calibrate(rr: RerankerInterface, options: CalibrateOptions = {}): Promise<CalibrationFit> {
    const info = await rr.info();
    const probes = calibrationPlan(info, this.limitsHint ?? defaultBatchingLimits);
    const samples = await runCalibration(rr, probes, {
      repeats: this.options.calibrationRepeats,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProbe ? { onProbe: options.onProbe } : {}),
      ...(options.beforeRun ? { beforeRun: options.beforeRun } : {}),
    });
    return this.setCalibration(samples, info.backend);
  }

  /**
   * Ready in two small probes: run the shallowest exit once on a tiny input (compiles kernels),
   * time one short passage and one small batch at it, and rescale the backend's prior so it
   * predicts both (`rescalePrior`: the fixed part and the FLOP-like work part of the prior each
   * times this device's factor). Decisions are then calibrated from these probes, with a wide
   * margin; `calibrate` refines it.
   */
  async quickCalibrate(rr: RerankerInterface, options: CalibrateOptions = {}): Promise<CalibrationSample> {
    const info = await rr.info();
    // The shallowest exit: the cheapest probe, and loaded first (progressive loading).
    const depth = Math.min(...info.exits);
    const plain = plainConfig(info, depth);
    const limits = this.limitsHint ?? defaultBatchingLimits;
    await this.warmUp(rr, options);
    const signal = options.signal ? { signal: options.signal } : {};
    // Two small probes (one short passage; 8 passages of a quarter of the maximum length): ready
    // within a second on a laptop, a few seconds on a slow or busy one. The first pins the fixed
    // cost of a call (messages, onnxruntime steps), the second the cost per token, so the prior's
    // two halves are rescaled separately; the background calibration covers the rest.
    const passages = Math.max(1, Math.min(limits.batchSize, 8));
    const probes = [
      { passages: 1, passageTokens: 16, config: plain },
      { passages, passageTokens: Math.max(8, Math.round(info.maxPassageTokens / 4)), config: plain },
    ];
    const samples = await runCalibration(rr, probes, {
      repeats: 1, ...signal, ...(options.beforeRun ? { beforeRun: options.beforeRun } : {}),
    });
    const sample = samples[samples.length - 1]!;
    const m = this.model(info.backend);
    const prior = this.priorFor(info.backend);
    m.coefficients = rescalePrior(prior, samples);
    m.fit = null;
    m.samples = [...samples];
    m.observed = [];
    m.sinceRefit = 0;
    m.source = 'probe';
    m.correction = new LatencyCorrection(this.options.smoothing, this.options.minSpread, { mean: 0, variance: PROBE_SPREAD ** 2, count: 1 });
    this.current = info.backend;
    options.onProbe?.(1, 1);
    return sample;
  }

  /**
   * Run the shallowest exit, plain and compressed, once on one short passage: the first run
   * of a session compiles kernels and allocates, and should not land in a user's search.
   * `deep` (once every layer has loaded): the deeper sessions too, i.e. the full depth plain
   * and compressed at its first compressible layer (every LoRA-free and horizontally adapted
   * layer) and the exit below it (the vertically adapted layers).
   */
  async warmUp(rr: RerankerInterface, options: CalibrateOptions = {}, deep = false): Promise<void> {
    const info = await rr.info();
    for (const c of deep ? deepWarmUpConfigs(info) : shallowWarmUpConfigs(info)) {
      await options.beforeRun?.();
      const result = await runConfig(rr, c, probeText(8, 7), [probeText(24, 3)], options.signal);
      this.limitsHint = shapeOf(result.shape).limits;
    }
  }

  /** Fit from samples measured elsewhere (tests, a saved calibration). */
  setCalibration(samples: readonly CalibrationSample[], backend: ResolvedBackend): CalibrationFit {
    const fit = fitCostModel(samples);
    const m = this.model(backend);
    m.fit = fit;
    m.samples = [...samples];
    m.observed = [];
    m.sinceRefit = 0;
    m.coefficients = fit.coefficients;
    m.source = 'calibrated';
    // Start at the level and spread of every timed run (the fit follows the fastest ones).
    m.correction = new LatencyCorrection(this.options.smoothing, this.options.minSpread, {
      mean: fit.runs.bias, variance: fit.runs.spread ** 2, count: 1,
    });
    this.current = backend;
    return fit;
  }

  /** The full calibration of `backend` as plain JSON (to save), or null before one. */
  exportCalibration(backend: ResolvedBackend = this.current): SavedCalibration | null {
    const m = this.model(backend);
    return m.fit ? { backend, samples: m.samples.map((x) => ({ ...x })) } : null;
  }

  /** Restore a saved calibration (from `exportCalibration`); throws RangeError if it is unusable. */
  importCalibration(saved: SavedCalibration): CalibrationFit {
    if (!saved || (saved.backend !== 'wasm' && saved.backend !== 'webgpu') || !Array.isArray(saved.samples) || saved.samples.length === 0) {
      throw new RangeError('AdaptiveController.importCalibration: not a saved calibration');
    }
    return this.setCalibration(saved.samples, saved.backend);
  }

  /** Observed calls refits have used, for the backend in use. */
  get observedCalls(): number {
    return this.model(this.current).observed.length;
  }

  /**
   * Refit the coefficients on the calibration probes plus the observed calls, then rebuild
   * the backend's correction by replaying the observed calls against the new fit.
   */
  private refit(backend: ResolvedBackend): void {
    const m = this.model(backend);
    if (!m.fit || m.observed.length === 0) return;
    // The probes keep every term identifiable; as observed calls accumulate they dominate.
    const probeWeight = Math.min(1, this.options.refitEvery / m.observed.length);
    const fit = fitCostModel([...m.samples, ...m.observed], [...m.samples.map(() => probeWeight), ...m.observed.map(() => 1)]);
    m.coefficients = fit.coefficients;
    const corr = new LatencyCorrection(this.options.smoothing, this.options.minSpread, { mean: 0, variance: m.fit.runs.spread ** 2, count: 1 });
    for (const o of m.observed) corr.update(o.ms, predictMs(fit.coefficients, workCounts(o.config, o.shape)));
    m.correction = corr;
    m.sinceRefit = 0;
  }

  /** Predictions for every configuration on a request shape (the demo's chart uses these). */
  predict(configurations: readonly CalibratedConfig[], shape: RequestShape, backend: ResolvedBackend, budgetMs = Infinity): CandidatePrediction[] {
    const m = this.model(backend);
    const corr = m.correction;
    const scale = accuracyScale(configurations);
    const k = this.options.safety;
    return configurations.map((c) => {
      const base = predictMs(m.coefficients, workCounts(c, shape));
      const upperMs = base * corr.upperFactor(k);
      return { name: c.name, predictedMs: base * corr.factor, upperMs, accuracy: scale.of(c), fits: upperMs <= budgetMs };
    });
  }

  /** The decision for one engine request (the `chooser` calls this). */
  choose(request: ConfigRequest): AdaptiveDecision {
    const shape = shapeOf(request);
    this.limitsHint = shape.limits;
    this.current = request.backend;
    const source = this.model(request.backend).source;
    const configs = request.configurations;
    const scale = accuracyScale(configs);
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
    const corr = this.model(request.backend).correction;
    const warnings: string[] = [];
    if (!fits) {
      warnings.push(`no configuration fits the ${round(request.budgetMs)} ms budget for ${shape.pLens.length} passages: ` +
        `using the fastest, ${chosen.name} (predicted ${round(chosen.predictedMs)} ms, up to ${round(chosen.upperMs)} ms); ` +
        'raise budgetMs or re-rank fewer or shorter passages');
    }
    if (source === 'prior') warnings.push('controller not calibrated: predictions use a generic prior; call controller.calibrate(reranker) first');
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
      calibrated: source !== 'prior',
      calibration: source,
      accuracyLabel: scale.label,
      candidates,
    };
  }

  /**
   * Feed back the time of a call with an explicitly chosen configuration, on the shape its
   * result reported (`shapeOf(result.shape)`).
   */
  observeExplicit(config: CalibratedConfig, shape: RequestShape, backend: ResolvedBackend, observedMs: number): void {
    const m = this.model(backend);
    const base = predictMs(m.coefficients, workCounts(config, shape));
    const id = this.nextId++;
    this.pending.set(id, { config, shape });
    const decision: AdaptiveDecision = {
      id, config, predictedMs: base, budgetMs: Infinity, fits: true, basePredictedMs: base, upperMs: base, backend,
      calibrated: m.source !== 'prior', calibration: m.source, accuracyLabel: '', candidates: [],
    };
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
    const m = this.model(decision.backend);
    const base = basis ? predictMs(m.coefficients, workCounts(basis.config, basis.shape)) : decision.basePredictedMs;
    m.correction.update(observedMs, base);
    if (!basis || !m.fit || this.options.refitEvery === 0) return;
    m.observed.push({ config: basis.config, shape: basis.shape, ms: observedMs });
    if (m.observed.length > this.options.refitWindow) m.observed.shift();
    if (++m.sinceRefit >= this.options.refitEvery) this.refit(decision.backend);
  }
}

function shallowWarmUpConfigs(info: ModelInfo): CalibratedConfig[] {
  const depth = Math.min(...info.exits);
  const compressed = info.configurations.find((c) => c.depth === depth && c.compress && c.compress.ratio > 1);
  return compressed ? [plainConfig(info, depth), compressed] : [plainConfig(info, depth)];
}

function deepWarmUpConfigs(info: ModelInfo): CalibratedConfig[] {
  const exits = [...info.exits].sort((a, b) => a - b);
  const full = exits.at(-1)!;
  const compressed = info.configurations
    .filter((c) => c.depth === full && c.compress && c.compress.ratio > 1)
    .sort((a, b) => Math.min(...a.compress!.layers) - Math.min(...b.compress!.layers))[0];
  return [plainConfig(info, full), ...(compressed ? [compressed] : []), ...(exits.length > 1 ? [plainConfig(info, exits.at(-2)!)] : [])];
}
