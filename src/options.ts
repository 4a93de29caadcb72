/**
 * Reranker options: one `defaultOptions` object merged by spread, and validation with
 * messages that name the option and the fix.
 */
import { BACKENDS, defaultThreads } from './backend-choice';
import { OptionsError } from './errors';
import { checkFusionOptions } from './fusion';
import type { Backend, RankOptions, RerankerOptions } from './types';

/** Every option of `createReranker` / `createWorkerReranker` except `model`, at its default. */
export const defaultOptions = {
  backend: 'auto' as Backend,
  batchSize: 16,
  maxBatchTokens: 8192,
  /** undefined: `navigator.hardwareConcurrency` capped at 4 (1 without cross-origin isolation). */
  numThreads: undefined as number | undefined,
  cache: true,
  progressiveLoad: true,
  wasmPaths: undefined as string | undefined,
} satisfies Omit<RerankerOptions, 'model' | 'onProgress' | 'chooseConfig'>;

export type ResolvedOptions = Omit<RerankerOptions, 'model' | 'backend' | 'batchSize' | 'maxBatchTokens' | 'numThreads' | 'cache' | 'progressiveLoad'> & {
  progressiveLoad: boolean;
  model: string;
  backend: Backend;
  batchSize: number;
  maxBatchTokens: number;
  numThreads: number;
  cache: boolean;
};

const positiveInt = (name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new OptionsError(`MatryoshkaReranker: option "${name}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
};

/** Merge with `defaultOptions` and validate. */
export function resolveOptions(options: RerankerOptions | undefined): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new OptionsError('MatryoshkaReranker: options must be an object such as { model: "/models/minilm-l6-scifact" }');
  }
  const o = { ...defaultOptions, ...stripUndefined(options ?? {}) };
  if (typeof o.model !== 'string' || o.model.length === 0) {
    throw new OptionsError('MatryoshkaReranker: option "model" must be provided (a bundle URL or path)');
  }
  if (!BACKENDS.includes(o.backend)) {
    throw new OptionsError(`MatryoshkaReranker: option "backend" must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}, got ${JSON.stringify(o.backend)}`);
  }
  if (typeof o.progressiveLoad !== 'boolean') throw new OptionsError(`MatryoshkaReranker: option "progressiveLoad" must be true or false, got ${JSON.stringify(o.progressiveLoad)}`);
  if (typeof o.cache !== 'boolean') throw new OptionsError(`MatryoshkaReranker: option "cache" must be true or false, got ${JSON.stringify(o.cache)}`);
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

/** Validate per-call options of `rank`. */
export function checkRankOptions(options: RankOptions | undefined): RankOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new OptionsError('MatryoshkaReranker: rank options must be an object such as { config: "d4", topK: 10 }');
  if (options.topK !== undefined) positiveInt('topK', options.topK);
  if (options.budgetMs !== undefined && (typeof options.budgetMs !== 'number' || !(options.budgetMs > 0))) {
    throw new OptionsError(`MatryoshkaReranker: option "budgetMs" must be a positive number of milliseconds, got ${JSON.stringify(options.budgetMs)}`);
  }
  checkFusionOptions(options.firstStageScores, options.fusionWeight);
  return options;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
