/**
 * Latency in the benchmark report: median and p95 of per-query times, and a system's time
 * relative to a reference system measured in the same run.
 */

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

/**
 * "Latency tracks FLOPs": a system's time relative to a reference system measured in the same
 * run, as the median over queries of the per-query ratio (both timed on the same candidates), so
 * query length and machine load between runs cancel out; a lone absolute time does not.
 * Median of `times(q) / reference(q)` over the queries timed by both; null when none.
 */
export function medianLatencyRatio(times: ReadonlyMap<string, number>, reference: ReadonlyMap<string, number>): number | null {
  const ratios: number[] = [];
  for (const [id, t] of times) {
    const ref = reference.get(id);
    if (ref !== undefined && ref > 0) ratios.push(t / ref);
  }
  return ratios.length === 0 ? null : quantile(ratios, 0.5);
}
