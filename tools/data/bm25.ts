/**
 * BM25 first stage over a corpus (title + text), top-k per query; plain TypeScript, so it runs
 * the same in the browser, a worker and Node.
 *
 * Scoring is classic Okapi BM25 in Lucene's form, the `lucene` method of `bm25s` that the Python
 * trainer uses for its candidates (k1 = 1.5, b = 0.75 are bm25s' defaults):
 *   score(q, d) = Σ_{t in q} idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avg|d|)),
 *   idf(t) = ln(1 + (N − n_t + 0.5) / (n_t + 0.5)),
 * with |d| the number of indexed tokens of the document (after stop words, see analyzer.ts) and
 * a repeated query term counted each time, as bm25s and Lucene do.
 *
 * Why not a library: MiniSearch (installed) scores BM25+ but normalises length by the number of
 * *distinct raw tokens* of a field (stop words included), not by |d|. Measured on this repo's
 * datasets that costs 3-8 nDCG@10 points against bm25s (cisi 0.28 vs 0.36, cranfield 0.47 vs
 * 0.52), and it cannot be configured away. The other npm BM25 packages either pull a full NLP
 * model into the bundle (wink-bm25-text-search) or change the formula (Orama's length-divided tf).
 * An inverted index is short, and this one is checked against bm25s (bench/README.md).
 */
import { createAnalyzer, type Analyzer, type AnalyzerOptions } from './analyzer';
import type { BeirDocument } from './beir';

export interface Bm25Options extends AnalyzerOptions {
  /** Term-frequency saturation, >= 0. Default 1.5 (bm25s default, used by the trainer). */
  k1?: number;
  /** Length normalisation, 0..1. Default 0.75. */
  b?: number;
}

export const defaultBm25Options = {
  k1: 1.5,
  b: 0.75,
} satisfies Bm25Options;

/** A retrieved document: its position in the indexed array, id and BM25 score. */
export interface Bm25Hit {
  /** Index into the documents given to {@link Bm25Index.build}. */
  index: number;
  id: string;
  score: number;
}

/** The text BM25 sees for a document: title and text joined by a space. */
export function documentText(doc: Pick<BeirDocument, 'title' | 'text'>): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}

interface Postings {
  docs: Int32Array;
  tfs: Float32Array;
  idf: number;
}

export class Bm25Index {
  private readonly ids: string[];
  private readonly postings: Map<string, Postings>;
  /** Per document: k1 · (1 − b + b · |d| / avg|d|). */
  private readonly norms: Float64Array;
  private readonly analyzer: Analyzer;
  private readonly scores: Float64Array;

  private constructor(ids: string[], postings: Map<string, Postings>, norms: Float64Array, analyzer: Analyzer) {
    this.ids = ids;
    this.postings = postings;
    this.norms = norms;
    this.analyzer = analyzer;
    this.scores = new Float64Array(ids.length);
  }

  /** Indexes `documents` (title + text). Ids must be unique. */
  static build(documents: readonly Pick<BeirDocument, 'id' | 'title' | 'text'>[], options: Bm25Options = {}): Bm25Index {
    const opts = { ...defaultBm25Options, ...options };
    if (!(opts.k1 >= 0) || !(opts.b >= 0 && opts.b <= 1)) {
      throw new RangeError(`Invalid BM25 parameters k1=${opts.k1}, b=${opts.b}: need k1 >= 0 and 0 <= b <= 1.`);
    }
    const analyzer = createAnalyzer(opts);
    const n = documents.length;
    const ids: string[] = new Array<string>(n);
    const seen = new Set<string>();
    const lengths = new Float64Array(n);
    const building = new Map<string, { docs: number[]; tfs: number[] }>();
    let totalLength = 0;
    for (let i = 0; i < n; i++) {
      const doc = documents[i]!;
      if (seen.has(doc.id)) throw new Error(`Duplicate document id "${doc.id}" at position ${i}: BM25 needs unique ids.`);
      seen.add(doc.id);
      ids[i] = doc.id;
      const terms = analyzer.analyze(documentText(doc));
      lengths[i] = terms.length;
      totalLength += terms.length;
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, tf] of counts) {
        let p = building.get(t);
        if (!p) {
          p = { docs: [], tfs: [] };
          building.set(t, p);
        }
        p.docs.push(i);
        p.tfs.push(tf);
      }
    }
    const avgLength = n > 0 ? totalLength / n : 0;
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const rel = avgLength > 0 ? (lengths[i] ?? 0) / avgLength : 0;
      norms[i] = opts.k1 * (1 - opts.b + opts.b * rel);
    }
    const postings = new Map<string, Postings>();
    for (const [t, p] of building) {
      const df = p.docs.length;
      postings.set(t, { docs: Int32Array.from(p.docs), tfs: Float32Array.from(p.tfs), idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)) });
    }
    return new Bm25Index(ids, postings, norms, analyzer);
  }

  /** Number of indexed documents. */
  get size(): number {
    return this.ids.length;
  }

  /** Number of distinct indexed terms. */
  get vocabularySize(): number {
    return this.postings.size;
  }

  /** The query's terms after analysis (stop words removed, stemmed): what BM25 matches. */
  queryTerms(query: string): string[] {
    return this.analyzer.analyze(query);
  }

  /**
   * The `k` best documents for `query`, best first. Ties are broken by position in the corpus
   * (earlier first), so results are deterministic. Only documents sharing a term with the query
   * are returned, so fewer than `k` can come back (none for an all-stop-word query).
   */
  search(query: string, k = 100): Bm25Hit[] {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k must be a positive integer, got ${k}.`);
    const scores = this.scores;
    const touched: number[] = [];
    for (const term of this.queryTerms(query)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const { docs, tfs, idf } = p;
      for (let j = 0; j < docs.length; j++) {
        const d = docs[j]!;
        const tf = tfs[j]!;
        if (scores[d] === 0) touched.push(d);
        scores[d] = scores[d]! + (idf * tf) / (tf + this.norms[d]!);
      }
    }
    touched.sort((a, b) => scores[b]! - scores[a]! || a - b);
    const top = touched.length > k ? touched.slice(0, k) : touched;
    const hits = top.map((index) => ({ index, id: this.ids[index]!, score: scores[index]! }));
    for (const d of touched) scores[d] = 0;
    return hits;
  }
}
