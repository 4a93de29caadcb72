/**
 * Online correction of the cost model from observed timings: an exponentially weighted mean
 * and variance of log(observed / predicted). The mean rescales every prediction (throttling,
 * another tab, a warmer cache); the spread gives an upper prediction `exp(mean + k·sd)` that
 * a budget must cover, so a noisy device gets a wider safety margin than a quiet one.
 * Timing noise on a busy machine has heavy tails (scheduling, GC), so the margin is also at
 * least the matching empirical quantile of the recent deviations from the mean.
 */

/** Recent deviations kept for the empirical quantile. */
const WINDOW = 64;
/** Deviations needed before the empirical quantile is trusted. */
const MIN_FOR_QUANTILE = 10;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export interface CorrectionState {
  /** EW mean of log(observed / predicted). */
  mean: number;
  /** EW variance of the same. */
  variance: number;
  /** Observations so far (calibration residuals count as one). */
  count: number;
}

export class LatencyCorrection {
  private state: CorrectionState;
  private readonly deviations: number[] = [];

  /**
   * @param smoothing weight of a new observation (0..1): 0.2 follows a change within ~5 calls.
   * @param minSpread floor of the standard deviation (log units): timing never is exact.
   */
  constructor(private readonly smoothing: number, private readonly minSpread: number, initial?: Partial<CorrectionState>) {
    this.state = { mean: 0, variance: 0, count: 0, ...initial };
  }

  /** Record one call: `observedMs` for a call the base model predicted at `baseMs`. */
  update(observedMs: number, baseMs: number): void {
    if (!(observedMs > 0) || !(baseMs > 0) || !Number.isFinite(observedMs) || !Number.isFinite(baseMs)) return;
    const r = Math.log(observedMs / baseMs);
    const a = this.state.count === 0 ? 1 : this.smoothing;
    const d = r - this.state.mean;
    if (this.state.count > 0) {
      this.deviations.push(d);
      if (this.deviations.length > WINDOW) this.deviations.shift();
    }
    const mean = this.state.mean + a * d;
    const variance = this.state.count === 0 ? this.state.variance : (1 - a) * (this.state.variance + a * d * d);
    this.state = { mean, variance, count: this.state.count + 1 };
  }

  /** Standard deviation of the log ratio, at least `minSpread`. */
  get spread(): number {
    return Math.max(this.minSpread, Math.sqrt(this.state.variance));
  }

  /** Multiplier for the central prediction. */
  get factor(): number {
    return Math.exp(this.state.mean);
  }

  /**
   * Multiplier for the upper prediction at `k` standard deviations, or at the empirical
   * quantile Φ(k) of the recent deviations if that is wider (heavy tails).
   */
  upperFactor(k: number): number {
    let margin = k * this.spread;
    if (this.deviations.length >= MIN_FOR_QUANTILE) {
      const sorted = [...this.deviations].sort((a, b) => a - b);
      const q = sorted[Math.min(sorted.length - 1, Math.ceil(normalCdf(k) * sorted.length) - 1)]!;
      margin = Math.max(margin, q);
    }
    return Math.exp(this.state.mean + margin);
  }

  snapshot(): CorrectionState {
    return { ...this.state };
  }
}
