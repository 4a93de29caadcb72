/**
 * Calibration: time a few requests on the actual reranker (its backend, its thread, its
 * worker round trips) and fit the cost model's coefficients to them. The probes vary depth
 * (shallowest and deepest exit), passage length (short, about a third, the maximum), passage
 * count (one, one batch, two batches) and compression, so every cost term is pinned by at
 * least two of them. Each probe runs once untimed (first runs compile kernels) and then
 * `repeats` times. The fit uses each probe's fastest run (the cost without interference: on a
 * busy machine the other runs mostly measure the neighbours); every run then sets the starting
 * level and spread of the online correction (median and MAD: robust to the odd slow run). Total: a few seconds on MiniLM-L6/WASM.
 *
 * The probes are plain `rank` calls with an explicit `config` (the public API, nothing else):
 * each result reports the exact token lengths the engine used (`RankResult.shape`; the
 * controller has no tokenizer of its own).
 */
import type { CalibratedConfig, ModelInfo, RankResult, RerankerInterface } from '../types';
import { type CostCoefficients, coefficientsFromVector, countsVector, predictMs, workCounts } from './cost-model';
import { nnls } from './least-squares';
import { type BatchingLimits, type RequestShape, shapeOf } from './request-shape';

export interface CalibrationProbe {
  passages: number;
  /** Approximate passage tokens (the engine reports the exact ones). */
  passageTokens: number;
  config: CalibratedConfig;
}

export interface CalibrationSample {
  config: CalibratedConfig;
  shape: RequestShape;
  /** Wall-clock milliseconds of `rank` as the caller sees it (the fastest run of a probe). */
  ms: number;
  /** Every timed run of the probe (absent for observed calls). */
  runsMs?: number[];
}

export interface CalibrationFit {
  coefficients: CostCoefficients;
  /** Standard deviation of log(measured / fitted) over the samples. */
  spread: number;
  /** Mean of log(measured / fitted) (close to 0). */
  bias: number;
  /** Median and robust standard deviation (1.4826 x MAD) of log(run / fitted) over every timed run. */
  runs: { bias: number; spread: number };
}

// Common English words that are single WordPiece tokens in BERT's uncased vocabulary, so a
// passage of n words is about n tokens (the engine reports the exact count anyway).
const WORDS = (
  'the cell protein study results show that patients with high levels of blood were more likely ' +
  'to have lower risk in this model we found increased expression during treatment after years ' +
  'data from two groups suggest an effect on brain function water energy light time system city ' +
  'music history river market school family house green small large early late new old first'
).split(' ');

/** Deterministic text of about `tokens` words, varied by `seed`. */
export function probeText(tokens: number, seed: number): string {
  const out: string[] = [];
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < tokens; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.push(WORDS[x % WORDS.length]!);
  }
  return out.join(' ');
}

/** A manifest configuration of `depth` without compression, or a synthetic one. */
export function plainConfig(info: ModelInfo, depth: number): CalibratedConfig {
  return info.configurations.find((c) => c.depth === depth && !c.compress)
    ?? { name: `d${depth}`, depth, compress: null, flopsRatio: depth / info.numLayers };
}

/** The probes for a model: see the file comment. */
export function calibrationPlan(info: ModelInfo, limits: BatchingLimits): CalibrationProbe[] {
  const dMin = Math.min(...info.exits);
  const dMax = Math.max(...info.exits);
  const shallow = plainConfig(info, dMin);
  const deep = plainConfig(info, dMax);
  const long = info.maxPassageTokens;
  const mid = Math.max(8, Math.round(long / 3));
  const short = Math.min(24, long);
  const bs = Math.max(1, Math.min(limits.batchSize, 16));
  const probes: CalibrationProbe[] = [
    { passages: 1, passageTokens: short, config: shallow },
    { passages: 1, passageTokens: short, config: deep },
    { passages: bs, passageTokens: short, config: deep },
    { passages: 4, passageTokens: long, config: shallow },
    { passages: 4, passageTokens: long, config: deep },
    { passages: bs + 4, passageTokens: mid, config: deep },
    { passages: 2, passageTokens: mid, config: shallow },
  ];
  const compressed = info.configurations
    .filter((c) => c.compress && c.compress.ratio > 1 && c.depth === dMax)
    .sort((a, b) => a.flopsRatio - b.flopsRatio)[0];
  if (compressed) probes.push({ passages: 8, passageTokens: long, config: compressed });
  return probes;
}

const meanSd = (xs: number[]): { bias: number; spread: number } => {
  const bias = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { bias, spread: Math.sqrt(xs.reduce((a, b) => a + (b - bias) ** 2, 0) / Math.max(1, xs.length - 1)) };
};

/**
 * Median and 1.4826 x median absolute deviation: the normal-equivalent level and spread, not
 * inflated by the odd run that measured a neighbour (garbage collection, another process).
 * The online correction's empirical quantile still covers heavy tails once calls arrive.
 */
const medianMad = (xs: number[]): { bias: number; spread: number } => {
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const bias = median(xs);
  return { bias, spread: 1.4826 * median(xs.map((x) => Math.abs(x - bias))) };
};

const now = (): number => performance.now();

export interface RunCalibrationOptions {
  /** Timed runs per probe (after one untimed run). */
  repeats: number;
  signal?: AbortSignal;
  /** Progress: probe index done, of total. */
  onProbe?: (done: number, total: number) => void;
  /** Awaited before each run (an app holds background calibration while it serves a user). */
  beforeRun?: () => Promise<void>;
}

/** One run of `config` on `rr` through the public API: `rank` with that configuration. */
export function runConfig(
  rr: RerankerInterface, config: CalibratedConfig, query: string, passages: string[], signal?: AbortSignal,
): Promise<RankResult> {
  return rr.rank(query, passages, { config: { depth: config.depth, compress: config.compress ?? null }, ...(signal ? { signal } : {}) });
}

/** Run the probes on `rr` and read each one's shape from its result. */
export async function runCalibration(
  rr: RerankerInterface, probes: readonly CalibrationProbe[], options: RunCalibrationOptions,
): Promise<CalibrationSample[]> {
  const samples: CalibrationSample[] = [];
  const query = probeText(8, 7);
  for (const [i, probe] of probes.entries()) {
    const passages = Array.from({ length: probe.passages }, (_, k) => probeText(probe.passageTokens, 100 * i + k + 1));
    const times: number[] = [];
    let shape: RequestShape | null = null;
    for (let r = 0; r <= options.repeats; r++) {
      await options.beforeRun?.();
      const t0 = now();
      let result: RankResult;
      try {
        result = await runConfig(rr, probe.config, query, passages, options.signal);
      } catch (e) {
        // Preempted by a caller (background calibration): run it again once they are done.
        if ((e as Error).name === 'AbortError' && !options.signal?.aborted) { r--; continue; }
        throw e;
      }
      if (r > 0) times.push(now() - t0);
      shape = shapeOf(result.shape);
    }
    if (shape) samples.push({ config: probe.config, shape, ms: Math.min(...times), runsMs: times });
    options.onProbe?.(i + 1, probes.length);
  }
  return samples;
}

/**
 * Fit the coefficients to samples, minimising relative error (each sample weighted by
 * 1/ms², times its `weights` entry, default 1), with every coefficient >= 0.
 */
export function fitCostModel(samples: readonly CalibrationSample[], weights?: readonly number[]): CalibrationFit {
  if (samples.length === 0) throw new RangeError('fitCostModel: no calibration samples');
  const rows = samples.map((s) => countsVector(workCounts(s.config, s.shape)));
  const targets = samples.map((s) => s.ms);
  const x = nnls(rows, targets, targets.map((t, i) => (weights?.[i] ?? 1) / Math.max(t, 1e-3) ** 2));
  const coefficients = coefficientsFromVector(x);
  const fitted = samples.map((s) => Math.max(1e-6, predictMs(coefficients, workCounts(s.config, s.shape))));
  const { bias, spread } = meanSd(samples.map((s, i) => Math.log(s.ms / fitted[i]!)));
  const runs = medianMad(samples.flatMap((s, i) => (s.runsMs ?? [s.ms]).map((t) => Math.log(t / fitted[i]!))));
  return { coefficients, spread, bias, runs };
}
