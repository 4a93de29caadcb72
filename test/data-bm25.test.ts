import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../tools/data/analyzer';
import { Bm25Index, documentText } from '../tools/data/bm25';

const docs = [
  { id: 'a', title: 'Neural ranking', text: 'transformers re-rank search results on device' },
  { id: 'b', title: '', text: 'the cat sat on the mat' },
  { id: 'c', title: 'Cats', text: 'a cat, another cat and a third cat: cat cat cat' },
  { id: 'd', title: 'Search engines', text: 'inverted index and BM25 ranking for search' },
  { id: 'e', title: 'Dogs', text: 'dogs bark at cats' },
];

/** Classic BM25 (Lucene form) computed by hand from the definition, for one document. */
function bm25ByHand(query: string[], docTerms: string[][], d: number, k1 = 1.5, b = 0.75): number {
  const n = docTerms.length;
  const avg = docTerms.reduce((s, t) => s + t.length, 0) / n;
  let score = 0;
  for (const term of query) {
    const df = docTerms.filter((t) => t.includes(term)).length;
    const tf = docTerms[d]!.filter((t) => t === term).length;
    if (tf === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    score += (idf * tf) / (tf + k1 * (1 - b + (b * docTerms[d]!.length) / avg));
  }
  return score;
}

describe('analyzer', () => {
  it('lower-cases, keeps word runs of 2+ characters and drops English stop words', () => {
    expect(createAnalyzer({ stem: null }).analyze("The cat's BM25-score is 3 x higher, naïvely!")).toEqual(['cat', 'bm25', 'score', 'higher', 'naïvely']);
  });
  it('stems with Porter2 by default (as the trainer\'s PyStemmer)', () => {
    expect(createAnalyzer().analyze('Running searches ranked higher')).toEqual(['run', 'search', 'rank', 'higher']);
  });
  it('applies a stemmer and can keep stop words', () => {
    const a = createAnalyzer({ stopwords: null, stem: (t) => t.replace(/s$/, '') });
    expect(a.analyze('the cats')).toEqual(['the', 'cat']);
  });
});

describe('Bm25Index', () => {
  // Unstemmed here so the expectations read off the raw words; stemming is tested below.
  const index = Bm25Index.build(docs, { stem: null });

  it('stems by default, so "cat" also finds "cats"', () => {
    expect(Bm25Index.build(docs).search('cat', 10).map((h) => h.id)).toEqual(['c', 'b', 'e']);
  });

  it('ranks the document that repeats the query term first and omits non-matching ones', () => {
    const hits = index.search('cat', 10);
    expect(hits.map((h) => h.id)).toEqual(['c', 'b']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(hits.every((h) => docs[h.index]!.id === h.id)).toBe(true);
  });

  it('matches classic BM25 computed from the definition', () => {
    const analyzer = createAnalyzer({ stem: null });
    const docTerms = docs.map((d) => analyzer.analyze(documentText(d)));
    const query = 'search ranking cat';
    for (const hit of index.search(query, 10)) {
      expect(hit.score).toBeCloseTo(bm25ByHand(analyzer.analyze(query), docTerms, hit.index), 10);
    }
    const tuned = Bm25Index.build(docs, { k1: 0.9, b: 0.4, stem: null });
    const top = tuned.search(query, 1)[0]!;
    expect(top.score).toBeCloseTo(bm25ByHand(analyzer.analyze(query), docTerms, top.index, 0.9, 0.4), 10);
  });

  it('returns at most k hits, best first, ties by corpus order', () => {
    const hits = index.search('search ranking cats dogs', 3);
    expect(hits).toHaveLength(3);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    const twins = Bm25Index.build([{ id: 'x', title: '', text: 'same words' }, { id: 'y', title: '', text: 'same words' }]);
    expect(twins.search('words', 5).map((h) => h.id)).toEqual(['x', 'y']);
  });

  it('is repeatable and returns nothing for stop-word-only or unknown queries', () => {
    expect(index.search('cat dogs', 5)).toEqual(index.search('cat dogs', 5));
    expect(index.search('the and of', 5)).toEqual([]);
    expect(index.search('zebra', 5)).toEqual([]);
  });

  it('rejects bad parameters, bad k and duplicate ids with a fix in the message', () => {
    expect(() => Bm25Index.build(docs, { b: 2 })).toThrow(/0 <= b <= 1/);
    expect(() => index.search('cat', 0)).toThrow(/top-k must be a positive integer/);
    expect(() => Bm25Index.build([docs[0]!, docs[0]!])).toThrow(/Duplicate document id "a"/);
  });

  it('indexes 5,000 documents quickly', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const big = Array.from({ length: 5000 }, (_, i) => ({
      id: String(i),
      title: '',
      text: Array.from({ length: 200 }, () => words[Math.floor(rand() ** 2 * words.length)]).join(' '),
    }));
    const t0 = performance.now();
    const bigIndex = Bm25Index.build(big);
    const buildMs = performance.now() - t0;
    expect(bigIndex.size).toBe(5000);
    expect(bigIndex.search(`${words[5]} ${words[900]}`, 100)).toHaveLength(100);
    expect(buildMs).toBeLessThan(5000); // about 0.3 s on a shared 2-core machine
  });
});
