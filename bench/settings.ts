/**
 * What one benchmark run measures, independent of where it runs: the Node CLI fills it from
 * its arguments (bench/cli.ts), the browser page from its URL (bench/browser/page-params.ts).
 * No Node or DOM imports here: the scenarios run in both.
 */
import type { QuerySplitSide } from '../tools/data/dev-split';
import type { ProgressiveStage } from '../src/types';
import type { PeerDtype } from './scenarios/transformersjs';

export type BenchBackend = 'wasm' | 'webgpu';

export interface BenchSettings {
  /** BEIR folder: a local path (Node) or a URL (browser, or Node over HTTP). */
  dataset: string;
  split: string;
  querySplit: QuerySplitSide;
  /** Bundle folder: a local path (Node) or a URL. */
  model: string;
  /**
   * A second bundle of the same model, e.g. the float16 export beside an int8 one: its rows (the
   * same configurations, no schedules) run side by side with the first's, named `<config>@<its
   * precision>` (`@ref` when both have the same). Undefined: none.
   */
  referenceModel?: string;
  /** `all` or the configuration names asked for (the full configuration always runs too). */
  configs: 'all' | string[];
  /** Undefined: every query of the split. */
  queries: number | undefined;
  topK: number;
  backend: BenchBackend;
  /**
   * Progressive re-ranking schedules, one report row each (e.g. `[{ depth: 2, keep: 20 }, { depth: 6 }]`).
   * Undefined or empty: none.
   */
  progressive?: ProgressiveStage[][];
}

/** A usage mistake: the message says what to change; the CLI prints it with its usage text. */
export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

/** `flag`'s value as a positive integer, or an {@link ArgsError} saying what was given. */
export function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ArgsError(`${flag} must be a positive integer, got "${text}".`);
  return n;
}

/** `flag`'s value as the transformers.js peer's dtype, or an {@link ArgsError} saying what was given. */
export function peerDtype(flag: string, text: string): PeerDtype {
  if (text !== 'fp32' && text !== 'q8') throw new ArgsError(`${flag} must be fp32 or q8, got "${text}".`);
  return text;
}
