/**
 * The budget slider (log scale, 2 ms to 20 s: slow or busy devices need seconds) and the default budget: what this device can
 * meet for a typical search (30 candidates of the corpus) with a good configuration, from the
 * controller's predictions right after it measured the device.
 */
import { accuracyScale } from '../src/controller/accuracy';
import type { AdaptiveController } from '../src/controller/controller';
import type { BeirDocument } from '../tools/data/beir';
import type { ModelInfo, ResolvedBackend } from '../src/types';

export const MIN_MS = 2;
export const MAX_MS = 20_000;
const SPAN = MAX_MS / MIN_MS;

export const sliderToMs = (v: number): number => MIN_MS * SPAN ** (v / 1000);
export const msToSlider = (ms: number): number => Math.round((1000 * Math.log(Math.min(MAX_MS, Math.max(MIN_MS, ms)) / MIN_MS)) / Math.log(SPAN));

/** 1, 2 or 5 times a power of ten, at least `x`. */
export function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 1.5, 2, 3, 5, 7.5, 10].map((m) => m * p).find((v) => v >= x) ?? 10 * p;
}

/** Rough WordPiece count of a passage (about 1.3 tokens per word). */
const tokens = (d: BeirDocument, max: number): number => Math.min(max, Math.ceil(1.3 * `${d.title} ${d.text}`.split(/\s+/).length));

export interface DefaultBudget {
  ms: number;
  /** The configuration the budget was sized for, and why. */
  config: string;
  note: string;
}

/**
 * Size the budget so the most accurate configuration predicted to take at most `comfortMs`
 * (or else the fastest) fits with room to spare (1.5 x its upper prediction), for `candidates`
 * passages of `documents`. 400 ms: a search box that answers in well under a second on this
 * device (a one-second target picked d5 configurations at 1.5 s a search on a 2-core machine).
 */
export function defaultBudget(
  controller: AdaptiveController, info: ModelInfo, backend: ResolvedBackend, documents: readonly BeirDocument[], candidates = 30, comfortMs = 400,
): DefaultBudget {
  const sample = documents.slice(0, candidates);
  const pLens = sample.length ? sample.map((d) => tokens(d, info.maxPassageTokens)) : Array.from({ length: candidates }, () => 100);
  const shape = { qLen: 10, pLens, limits: { batchSize: 16, maxBatchTokens: 8192 } };
  const preds = controller.predict(info.configurations, shape, backend);
  const scale = accuracyScale(info.configurations);
  const comfortable = preds.filter((p) => p.upperMs <= comfortMs).sort((a, b) => b.accuracy - a.accuracy || a.upperMs - b.upperMs);
  const pick = comfortable[0] ?? [...preds].sort((a, b) => a.upperMs - b.upperMs)[0]!;
  const ms = Math.min(MAX_MS, niceCeil(Math.max(20, pick.upperMs * 1.5)));
  return {
    ms, config: pick.name,
    note: `default ${ms} ms: enough for ${pick.name} (${scale.label} ${pick.accuracy.toFixed(3)}, predicted ${pick.predictedMs.toFixed(0)} ms) on ${pLens.length} candidates on this device`,
  };
}
