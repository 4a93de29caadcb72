/**
 * `matryoshka-reranker/orama`: search an Orama database and re-rank on device. The search asks
 * Orama for `candidates` hits (more than the page shows), re-ranks them all, and returns
 * Orama's result shape with the page (`offset`, `limit`) cut from the new order.
 *
 *   const page = await searchAndRerank(db, reranker, { term: query, limit: 10 }, { candidates: 50 });
 *   page.hits // [{ id, score, document, firstStageScore, modelScore, truncated }]
 */
import { type AnyOrama, type Result, type Results, search, type SearchParams, type TypedDocument } from '@orama/orama';
import { InputError, OptionsError, showValue } from '../errors';
import type { RankResult, RerankerInterface } from '../types';
import { checkCount, recordText, rerankCandidates, type RerankCandidatesOptions } from './candidates';

export interface OramaRerankOptions<D> extends Omit<RerankCandidatesOptions, 'topK'> {
  /**
   * The passage of a hit: a function of its document, or the document properties to join.
   * Default: every top-level string property of the document.
   */
  text?: ((document: D) => string) | readonly string[];
  /** How many hits to fetch from Orama and re-rank. Default: 50, at least `offset + limit`. */
  candidates?: number;
}

/** An Orama hit after re-ranking: `score` is the re-ranking score, Orama's is kept. */
export type RerankedHit<D> = Result<D> & { firstStageScore: number; modelScore: number; truncated: boolean };

/** Orama's result shape; `hits` is the re-ranked page; `rerank` tells how it was ranked. */
export type RerankedResults<D> = Omit<Results<D>, 'hits'> & {
  hits: RerankedHit<D>[];
  /** How many hits were re-ranked (the candidates Orama returned). */
  reranked: number;
  rerank: Pick<RankResult, 'config' | 'backend' | 'timings' | 'decision' | 'fusionWeight'>;
};

/**
 * Full-text (or hybrid) search `db` with `params` and re-rank the best `candidates` hits.
 * `params.limit` / `params.offset` (default 10 / 0) choose the page of the re-ranked list.
 */
export async function searchAndRerank<T extends AnyOrama, D = TypedDocument<T>>(
  db: T, reranker: RerankerInterface, params: SearchParams<T, D> & { term?: string }, options: OramaRerankOptions<D> = {},
): Promise<RerankedResults<D>> {
  const term = params.term;
  if (typeof term !== 'string' || term.trim() === '') {
    throw new InputError('MatryoshkaReranker: searchAndRerank needs params.term, the query text (the model re-ranks by it)');
  }
  const limit = (params as { limit?: number }).limit ?? 10;
  const offset = (params as { offset?: number }).offset ?? 0;
  checkCount('candidates', options.candidates);
  if (!(Number.isInteger(offset) && offset >= 0)) throw new OptionsError(`MatryoshkaReranker: params.offset must be a non-negative integer, got ${showValue(offset)}`);
  checkCount('limit', limit);
  const candidates = Math.max(options.candidates ?? 50, offset + limit);
  const found = await search(db, { ...params, limit: candidates, offset: 0 } as SearchParams<T, D>);
  const { text } = options;
  const textOf = typeof text === 'function' ? text : (d: D) => recordText(d as Record<string, unknown>, text, new Set());
  const { candidates: ranked, result } = await rerankCandidates(reranker, term, found.hits, (h) => textOf(h.document), (h) => h.score, options);
  const hits = ranked.slice(offset, offset + limit).map((c) => ({
    ...c.hit, score: c.score, firstStageScore: c.firstStageScore, modelScore: c.modelScore, truncated: c.truncated,
  }));
  const { config, backend, timings, decision, fusionWeight } = result;
  return {
    ...found,
    hits,
    reranked: found.hits.length,
    rerank: { config, backend, timings, ...(decision ? { decision } : {}), ...(fusionWeight !== undefined ? { fusionWeight } : {}) },
  };
}
