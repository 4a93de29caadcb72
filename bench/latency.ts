/** Latency summaries for the benchmark report: median and p95 of per-query times. */

export interface LatencySummary {
  /** Timed calls (warm-up calls excluded). */
  count: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
}

/**
 * The q-quantile (0..1) of `values` with linear interpolation between closest ranks
 * (numpy's default), NaN for no values.
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile must be in [0, 1], got ${q}.`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function summarize(timesMs: readonly number[]): LatencySummary {
  const mean = timesMs.length > 0 ? timesMs.reduce((s, t) => s + t, 0) / timesMs.length : Number.NaN;
  return { count: timesMs.length, medianMs: quantile(timesMs, 0.5), p95Ms: quantile(timesMs, 0.95), meanMs: mean };
}

/** Milliseconds from a monotonic clock. */
export const nowMs = (): number => performance.now();
