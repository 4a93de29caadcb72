/**
 * Reranker options: one `defaultOptions` object merged by spread, and validation with
 * messages that name the option and the fix.
 */
import { BACKENDS, defaultThreads } from './backend-choice';
import { OptionsError, showValue } from './errors';
import { checkFusionOptions } from './fusion';
import type { Backend, ModelSource, ProgressiveOptions, RankOptions, RerankerOptions } from './types';

/** Every option of `createReranker` / `createWorkerReranker` except `model`, at its default. */
export const defaultOptions = {
  backend: 'auto' as Backend,
  batchSize: 32,
  maxBatchTokens: 8192,
  /** undefined: `navigator.hardwareConcurrency` capped at 4 (1 without cross-origin isolation). */
  numThreads: undefined as number | undefined,
  cache: true,
  persistStorage: false,
  progressiveLoad: true,
  wasmPaths: undefined as string | undefined,
} satisfies Omit<RerankerOptions, 'model' | 'onProgress' | 'chooseConfig' | 'onCacheError'>;

export type ResolvedOptions = Omit<RerankerOptions, 'model' | 'backend' | 'batchSize' | 'maxBatchTokens' | 'numThreads' | 'cache' | 'persistStorage' | 'progressiveLoad'> & {
  model: ModelSource;
  persistStorage: boolean;
  progressiveLoad: boolean;
  backend: Backend;
  batchSize: number;
  maxBatchTokens: number;
  numThreads: number;
  cache: boolean;
};

const positiveInt = (name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new OptionsError(`MatryoshkaReranker: option "${name}" must be a positive integer, got ${showValue(v)}`);
  }
  return v;
};

/** Merge with `defaultOptions` and validate. */
export function resolveOptions(options: RerankerOptions | undefined): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new OptionsError('MatryoshkaReranker: options must be an object such as { model: "/models/minilm-l6-scifact" }');
  }
  const o = { ...defaultOptions, ...stripUndefined(options ?? {}) };
  checkModel(o.model);
  if (!BACKENDS.includes(o.backend)) {
    throw new OptionsError(`MatryoshkaReranker: option "backend" must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}, got ${showValue(o.backend)}`);
  }
  if (typeof o.cache !== 'boolean') throw new OptionsError(`MatryoshkaReranker: option "cache" must be true or false, got ${showValue(o.cache)}`);
  if (typeof o.persistStorage !== 'boolean') throw new OptionsError(`MatryoshkaReranker: option "persistStorage" must be true or false, got ${showValue(o.persistStorage)}`);
  if (o.onCacheError !== undefined && typeof o.onCacheError !== 'function') throw new OptionsError('MatryoshkaReranker: option "onCacheError" must be a function (error: StorageFullError) => void');
  if (typeof o.progressiveLoad !== 'boolean') throw new OptionsError(`MatryoshkaReranker: option "progressiveLoad" must be true or false, got ${showValue(o.progressiveLoad)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new OptionsError('MatryoshkaReranker: option "onProgress" must be a function');
  if (o.chooseConfig !== undefined && typeof o.chooseConfig !== 'function') throw new OptionsError('MatryoshkaReranker: option "chooseConfig" must be a function (request) => ControllerDecision');
  return {
    ...o,
    model: o.model,
    batchSize: positiveInt('batchSize', o.batchSize),
    maxBatchTokens: positiveInt('maxBatchTokens', o.maxBatchTokens),
    numThreads: o.numThreads === undefined ? defaultThreads() : positiveInt('numThreads', o.numThreads),
  };
}

/** Option "model": a non-empty folder URL/path, or `{ files }` naming manifest.json and only strings. */
export function checkModel(model: unknown): asserts model is ModelSource {
  const hint = 'a bundle folder URL or path such as "/models/minilm-l6-scifact/", or the model package\'s export (import model from "@matryoshka-reranker/minilm-l6-scifact")';
  if (typeof model === 'string') {
    if (model.length === 0) throw new OptionsError(`MatryoshkaReranker: option "model" is empty; pass ${hint}`);
    return;
  }
  if (typeof model !== 'object' || model === null) {
    throw new OptionsError('MatryoshkaReranker: option "model" must be provided (a bundle URL or path), or a { files } map such as the model package\'s export (import model from "@matryoshka-reranker/minilm-l6-scifact")');
  }
  const { files, name } = model as { files?: unknown; name?: unknown };
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new OptionsError(`MatryoshkaReranker: option "model" is an object without a "files" map (file name -> URL); pass ${hint}`);
  }
  const bad = Object.entries(files).filter(([, v]) => typeof v !== 'string' || v.length === 0).map(([k]) => k);
  if (bad.length) throw new OptionsError(`MatryoshkaReranker: option "model": files ${bad.join(', ')} have no URL (must be non-empty strings)`);
  if (!('manifest.json' in files)) throw new OptionsError('MatryoshkaReranker: option "model": the "files" map has no "manifest.json" entry');
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw new OptionsError('MatryoshkaReranker: option "model": "name" must be a non-empty string when given');
}

/** Validate per-call options of `rank`. */
export function checkRankOptions(options: RankOptions | undefined): RankOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new OptionsError('MatryoshkaReranker: rank options must be an object such as { config: "d4", topK: 10 }');
  if (options.topK !== undefined) positiveInt('topK', options.topK);
  if (options.budgetMs !== undefined && (typeof options.budgetMs !== 'number' || !(options.budgetMs > 0))) {
    throw new OptionsError(`MatryoshkaReranker: option "budgetMs" must be a positive number of milliseconds, got ${showValue(options.budgetMs)}`);
  }
  checkFusionOptions(options.firstStageScores, options.fusionWeight);
  return options;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Validate per-call options of `rankProgressive`. Options of `rank` that it does not offer
 * (`config`, `budgetMs`, `firstStageScores`, `fusionWeight`) are refused, never ignored.
 */
export function checkProgressiveOptions(options: ProgressiveOptions | undefined): ProgressiveOptions {
  if (typeof options !== 'object' || options === null) {
    throw new OptionsError('MatryoshkaReranker: rankProgressive needs options { stages: [{ depth, keep }, ...] }');
  }
  const o = options as ProgressiveOptions & Record<string, unknown>;
  for (const [k, why] of [
    ['config', 'give the depths in "stages" and the compression in "compress"'],
    ['budgetMs', 'use rank() with budgetMs, or choose the stages yourself'],
    ['firstStageScores', 'hybrid scoring is offered by rank() only (its stages compare scores of one depth at a time)'],
    ['fusionWeight', 'hybrid scoring is offered by rank() only'],
  ] as const) {
    if (o[k] !== undefined) throw new OptionsError(`MatryoshkaReranker: rankProgressive does not take option "${k}": ${why}`);
  }
  if (options.topK !== undefined) positiveInt('topK', options.topK);
  if (options.onStage !== undefined && typeof options.onStage !== 'function') throw new OptionsError('MatryoshkaReranker: option "onStage" must be a function (stage, ranking) => void');
  return options;
}
