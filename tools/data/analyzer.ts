/**
 * Text analysis for the BM25 first stage, mirroring `bm25s.tokenize` as the Python trainer calls
 * it: lower-case, tokens of two or more word characters (Python's `(?u)\b\w\w+\b`), English stop
 * words removed, then an optional stemmer.
 */
import porter2 from 'wink-porter2-stemmer';
import { englishStopwords } from './stopwords';

export interface AnalyzerOptions {
  /** Words dropped after lower-casing. Default: {@link englishStopwords}; `null` keeps all. */
  stopwords?: ReadonlySet<string> | null;
  /**
   * Stemmer applied to each kept token. Default: Porter2 (Snowball English, as the trainer's
   * PyStemmer; worth 2-5 nDCG@10 points on the bundled test collections). `null`: no stemming.
   */
  stem?: ((token: string) => string) | null;
  /** Shortest token kept, in characters. Default 2 (as bm25s). */
  minTokenLength?: number;
}

export const defaultAnalyzerOptions = {
  stopwords: englishStopwords,
  stem: porter2 as (token: string) => string,
  minTokenLength: 2,
} satisfies AnalyzerOptions;

// Python's `\w` under (?u): letters, digits (all numeric categories), marks, connector punctuation (`_`).
const WORD_RUN = /[\p{L}\p{N}\p{M}\p{Pc}]+/gu;

/** Splits text into lower-case word runs (no filtering). */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(WORD_RUN) ?? [];
}

export interface Analyzer {
  /** Splits text into raw lower-case tokens. */
  tokenize(text: string): string[];
  /** Filters and normalises one token; `null` drops it. */
  processTerm(token: string): string | null;
  /** `tokenize` then `processTerm`, dropping removed tokens. */
  analyze(text: string): string[];
}

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const opts = { ...defaultAnalyzerOptions, ...options };
  const stopwords = opts.stopwords ?? new Set<string>();
  const stem = opts.stem ?? null;
  // Stemmers are slow next to everything else here and a corpus repeats its words: memoise.
  const stems = new Map<string, string>();
  const minLength = opts.minTokenLength;
  const processTerm = (token: string): string | null => {
    // Code points, not UTF-16 units (the spread only runs for short tokens).
    if (token.length < minLength || (token.length < 2 * minLength && [...token].length < minLength)) return null;
    if (stopwords.has(token)) return null;
    if (!stem) return token;
    let stemmed = stems.get(token);
    if (stemmed === undefined) {
      stemmed = stem(token);
      stems.set(token, stemmed);
    }
    return stemmed;
  };
  return {
    tokenize: splitWords,
    processTerm,
    analyze(text: string): string[] {
      const out: string[] = [];
      for (const token of splitWords(text)) {
        const term = processTerm(token);
        if (term) out.push(term);
      }
      return out;
    },
  };
}
