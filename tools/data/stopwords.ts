/**
 * English stop words for the BM25 first stage: Lucene's `EnglishAnalyzer` list, which is also
 * `bm25s.stopwords.STOPWORDS_EN`, the list the Python trainer uses for its BM25 candidates.
 */
export const englishStopwords: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
  'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they',
  'this', 'to', 'was', 'will', 'with',
]);
