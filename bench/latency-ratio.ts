/**
 * "Latency tracks FLOPs": a system's time relative to a reference system measured in the same
 * run, as the median over queries of the per-query ratio (both timed on the same candidates), so
 * query length and machine load between runs cancel out; a lone absolute time does not.
 */
import { quantile } from './latency';

/** Median of `times(q) / reference(q)` over the queries timed by both; null when none. */
export function medianLatencyRatio(times: ReadonlyMap<string, number>, reference: ReadonlyMap<string, number>): number | null {
  const ratios: number[] = [];
  for (const [id, t] of times) {
    const ref = reference.get(id);
    if (ref !== undefined && ref > 0) ratios.push(t / ref);
  }
  return ratios.length === 0 ? null : quantile(ratios, 0.5);
}
