/**
 * `matryoshka-reranker/ai-sdk`: an on-device reranking model for the Vercel AI SDK's `rerank()`.
 *
 *   import { rerank } from 'ai';
 *   const { ranking, rerankedDocuments } = await rerank({ model: rerankingModel(reranker), query, documents, topN: 5 });
 *
 * Implements the AI SDK's reranking model interface (specification v3, accepted by `ai` 6 and 7)
 * structurally, so this module imports nothing from `ai`. Per call, `providerOptions.matryoshka`
 * may carry `budgetMs`, `config` (a manifest name) and `firstStageScores`.
 */
import { InputError } from '../errors';
import type { RankOptions, RerankerInterface } from '../types';

type JsonPrimitive = string | number | boolean | null;

/** The AI SDK's `RerankingModelV3` (from `@ai-sdk/provider`), as this module implements it. */
export interface AiSdkRerankingModel {
  readonly specificationVersion: 'v3';
  readonly provider: string;
  readonly modelId: string;
  doRerank(options: AiSdkRerankCall): PromiseLike<{
    ranking: { index: number; relevanceScore: number }[];
    providerMetadata?: Record<string, Record<string, JsonPrimitive>>;
  }>;
}

/** What `rerank()` passes to `doRerank`. */
export interface AiSdkRerankCall {
  documents: { type: 'text'; values: string[] } | { type: 'object'; values: Record<string, unknown>[] };
  query: string;
  topN?: number;
  abortSignal?: AbortSignal;
  providerOptions?: Record<string, Record<string, unknown>>;
  headers?: Record<string, string | undefined>;
}

export interface AiSdkModelOptions {
  /** Reported as the model id (the AI SDK's telemetry, errors). Default `matryoshka-reranker`. */
  modelId?: string;
  /** Default per-call options (`budgetMs`, `config`, `fusionWeight`); `providerOptions.matryoshka` overrides them per call. */
  rankOptions?: Pick<RankOptions, 'budgetMs' | 'config' | 'fusionWeight'>;
  /** The passage of an object document. Default: its top-level string fields joined by newlines. */
  text?: (document: Record<string, unknown>) => string;
}

function objectText(doc: Record<string, unknown>): string {
  return Object.values(doc).filter((v): v is string => typeof v === 'string' && v.length > 0).join('\n');
}

function callOptions(provider: Record<string, unknown> | undefined): Pick<RankOptions, 'budgetMs' | 'config' | 'firstStageScores' | 'fusionWeight'> {
  if (!provider) return {};
  const out: Pick<RankOptions, 'budgetMs' | 'config' | 'firstStageScores' | 'fusionWeight'> = {};
  if (provider.budgetMs !== undefined) out.budgetMs = provider.budgetMs as number;
  if (provider.config !== undefined) out.config = provider.config as string;
  if (provider.firstStageScores !== undefined) out.firstStageScores = provider.firstStageScores as number[];
  if (provider.fusionWeight !== undefined) out.fusionWeight = provider.fusionWeight as number;
  return out;
}

/** A reranking model for the AI SDK's `rerank()` that runs `reranker` on this device. */
export function rerankingModel(reranker: RerankerInterface, options: AiSdkModelOptions = {}): AiSdkRerankingModel {
  const textOf = options.text ?? objectText;
  return {
    specificationVersion: 'v3',
    provider: 'matryoshka-reranker',
    modelId: options.modelId ?? 'matryoshka-reranker',
    async doRerank(call) {
      const passages = call.documents.type === 'text'
        ? call.documents.values
        : call.documents.values.map((d, i) => {
          const t = textOf(d);
          if (typeof t !== 'string') throw new InputError(`MatryoshkaReranker: document ${i} has no text (option "text" returned ${typeof t})`);
          return t;
        });
      const result = await reranker.rank(call.query, passages, {
        ...options.rankOptions,
        ...callOptions(call.providerOptions?.matryoshka),
        ...(call.topN !== undefined ? { topK: call.topN } : {}),
        ...(call.abortSignal ? { signal: call.abortSignal } : {}),
      });
      const config = result.decision?.config.name ?? JSON.stringify(result.config);
      return {
        ranking: result.results.map((r) => ({ index: r.index, relevanceScore: r.score })),
        providerMetadata: {
          matryoshka: { config, backend: result.backend, modelMs: result.timings.modelMs, totalMs: result.timings.totalMs },
        },
      };
    },
  };
}
