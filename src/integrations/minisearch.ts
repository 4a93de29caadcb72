/**
 * `matryoshka-reranker/minisearch`: re-rank MiniSearch results on device.
 *
 *   const hits = miniSearch.search(query);                 // MiniSearch's BM25 ranking
 *   const reranked = await rerankMiniSearch(reranker, query, hits, { candidates: 50, budgetMs: 80 });
 *
 * MiniSearch's scores are the first stage of the hybrid score; the text the model reads comes
 * from the results' stored fields (MiniSearch option `storeFields`) or option `text`.
 */
import type { SearchResult } from 'minisearch';
import { InputError } from '../errors';
import type { RerankerInterface } from '../types';
import { checkCount, recordText, rerankCandidates, type RerankCandidatesOptions } from './candidates';

export interface MiniSearchRerankOptions extends RerankCandidatesOptions {
  /**
   * The passage of a result: a function, or the stored fields to join. Default: every string
   * field the result carries (MiniSearch copies `storeFields` onto each result) besides its
   * own `id`, `terms`, `queryTerms` and `match`.
   */
  text?: ((result: SearchResult) => string) | readonly string[];
  /** How many of the first results to re-rank; later ones are dropped. Default 50. */
  candidates?: number;
}

/** A MiniSearch result after re-ranking: `score` is the re-ranking score, MiniSearch's is kept. */
export type RerankedSearchResult = SearchResult & {
  /** The hybrid score (or the model's, with `fuse: false`): what the list is sorted by. */
  score: number;
  /** MiniSearch's own score. */
  firstStageScore: number;
  /** The model's own score. */
  modelScore: number;
  /** The text was cut to the model's maximum passage length. */
  truncated: boolean;
};

const OWN_FIELDS = new Set(['id', 'score', 'terms', 'queryTerms', 'match']);

/**
 * Re-rank the first `candidates` of MiniSearch `results` for `query`; resolves with them best
 * first (the best `topK` when given), each a copy of the MiniSearch result with the new `score`.
 */
export async function rerankMiniSearch(
  reranker: RerankerInterface, query: string, results: readonly SearchResult[], options: MiniSearchRerankOptions = {},
): Promise<RerankedSearchResult[]> {
  checkCount('candidates', options.candidates);
  if (!Array.isArray(results)) throw new InputError('MatryoshkaReranker: rerankMiniSearch expects the array miniSearch.search() returned');
  const head = results.slice(0, options.candidates ?? 50);
  const { text } = options;
  const textOf = typeof text === 'function'
    ? text
    : (r: SearchResult) => recordText(r, text, OWN_FIELDS);
  const { candidates } = await rerankCandidates(reranker, query, head, (r, i) => {
    const t = textOf(r);
    if (t === '' && text === undefined) {
      throw new InputError(`MatryoshkaReranker: MiniSearch result ${i} (id ${JSON.stringify(r.id)}) has no stored text; add the text fields to MiniSearch's storeFields, or pass option text: (result) => string`);
    }
    return t;
  }, (r) => r.score, options);
  return candidates.map((c) => ({ ...c.hit, score: c.score, firstStageScore: c.firstStageScore, modelScore: c.modelScore, truncated: c.truncated }));
}
