/**
 * Online correction of the cost model from observed timings: an exponentially weighted mean
 * and variance of log(observed / predicted). The mean rescales every prediction (throttling,
 * another tab, a warmer cache); the spread gives an upper prediction `exp(mean + k·sd)` that
 * a budget must cover, so a noisy device gets a wider safety margin than a quiet one.
 */

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

  /** Multiplier for the upper prediction at `k` standard deviations. */
  upperFactor(k: number): number {
    return Math.exp(this.state.mean + k * this.spread);
  }

  snapshot(): CorrectionState {
    return { ...this.state };
  }
}
