/**
 * What `auto` measures before trusting WebGPU (src/backend-choice.ts says when):
 *
 * - the canary: the bundle's golden rows (golden.json, scores from the trainer) scored on
 *   WebGPU must match within `canaryTolerance`; fp16 kernels and driver bugs often do not;
 * - the timing probe: the same rows tiled to one full batch, run on WebGPU and on WASM at the
 *   shallowest exit (the layers that have arrived first); the faster backend wins.
 *
 * Rows come straight from golden.json's token ids, so neither needs the tokenizer.
 */
import { resolveConfig, type ResolvedConfig } from './config';
import type { Forward } from './forward';
import type { Manifest } from './manifest';
import { scoreRows } from './scoring';
import type { TokenizedRow } from './tokenize';
import type { BackendMeasurement } from './types';

/** The part of golden.json the canary reads (docs/bundle-format.md). */
export interface GoldenFile {
  tolerance: number;
  cases: { name: string; config: unknown; inputIds: number[][]; qLens: number[]; pLens: number[]; truncated: boolean[]; scores: number[] }[];
}

export const DEFAULT_CANARY_TOLERANCE = 0.05;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Golden cases runnable with the first `depth` layers, with their rows. */
export function canaryCases(golden: GoldenFile, manifest: Manifest, depth: number): { cfg: ResolvedConfig; rows: TokenizedRow[]; scores: number[] }[] {
  const out: { cfg: ResolvedConfig; rows: TokenizedRow[]; scores: number[] }[] = [];
  for (const c of golden.cases ?? []) {
    let cfg: ResolvedConfig;
    try {
      cfg = resolveConfig(c.config as Parameters<typeof resolveConfig>[0], manifest);
    } catch {
      continue;
    }
    if (cfg.depth > depth || !Array.isArray(c.inputIds)) continue;
    const rows = c.inputIds.map((ids, i) => ({ ids: Int32Array.from(ids), qLen: c.qLens[i]!, pLen: c.pLens[i]!, truncated: !!c.truncated[i] }));
    out.push({ cfg, rows, scores: c.scores });
  }
  return out;
}

/** Score the golden cases on `forward`; the largest |score - golden| decides. */
export async function runCanary(forward: Forward, cases: ReturnType<typeof canaryCases>, tolerance: number, limits: { batchSize: number; maxBatchTokens: number }): Promise<NonNullable<BackendMeasurement['canary']>> {
  let maxAbsDiff = 0;
  let rows = 0;
  for (const c of cases) {
    const got = await scoreRows({ forward, limits }, c.rows, c.rows.map((_, i) => i), c.cfg);
    got.forEach((s, i) => {
      const d = Math.abs(s - c.scores[i]!);
      maxAbsDiff = Math.max(maxAbsDiff, Number.isFinite(d) ? d : Infinity);
    });
    rows += got.length;
  }
  return { passed: rows > 0 && maxAbsDiff <= tolerance, maxAbsDiff, tolerance, rows };
}

/** The timing probe's rows: every canary row, tiled to `count`. */
export function probeRows(cases: ReturnType<typeof canaryCases>, count: number): TokenizedRow[] {
  const all = cases.flatMap((c) => c.rows);
  return all.length ? Array.from({ length: count }, (_, i) => all[i % all.length]!) : [];
}

/** Fastest of `runs` timed runs (after one untimed run that compiles kernels), milliseconds. */
export async function timeProbe(forward: Forward, rows: readonly TokenizedRow[], cfg: ResolvedConfig, limits: { batchSize: number; maxBatchTokens: number }, runs = 2): Promise<number> {
  const idx = rows.map((_, i) => i);
  await scoreRows({ forward, limits }, rows, idx, cfg);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    await scoreRows({ forward, limits }, rows, idx, cfg);
    best = Math.min(best, now() - t0);
  }
  return best;
}
