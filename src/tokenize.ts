/**
 * Tokenization and row layout (docs/bundle-format.md, "Sequence layout"): query and passage
 * are tokenized separately without special tokens, capped at the manifest's limits, and laid
 * out as `[CLS] q [SEP] p [SEP]`. Long texts are cut at a word boundary before tokenizing so
 * a 1 MB passage costs about as much as a short one; the first tokens are unchanged.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BundleError, InputError } from './errors';
import type { Manifest } from './manifest';

export interface TokenizedRow {
  /** Row ids, unpadded: `[CLS] q [SEP] p [SEP]`. */
  ids: Int32Array;
  qLen: number;
  pLen: number;
  /** The passage had more than `maxPassageTokens` tokens and was cut. */
  truncated: boolean;
}

export interface Encoded {
  ids: number[];
  truncated: boolean;
}

// Characters at which BERT's pre-tokenizer always splits (whitespace); cutting just before one
// leaves the tokens of the kept prefix unchanged.
const WHITESPACE = /\s/u;

export class RowTokenizer {
  private readonly tok: Tokenizer;
  readonly maxQueryTokens: number;
  readonly maxPassageTokens: number;
  private readonly cls: number;
  private readonly sep: number;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown, manifest: Manifest) {
    try {
      this.tok = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
      this.tok.encode('probe', { add_special_tokens: false });
    } catch (e) {
      throw new BundleError(`MatryoshkaReranker: ${manifest.input.tokenizer} could not be loaded as a Hugging Face tokenizer (${(e as Error).message}); re-export the bundle with the trainer`);
    }
    this.maxQueryTokens = manifest.input.maxQueryTokens;
    this.maxPassageTokens = manifest.input.maxPassageTokens;
    this.cls = manifest.input.clsTokenId;
    this.sep = manifest.input.sepTokenId;
  }

  /** Token ids of `text` without special tokens, at most `max` of them. */
  encode(text: string, max: number): Encoded {
    // Every token covers at least one character, so a prefix of `budget` characters that ends
    // before whitespace yields the same first tokens; grow it until it has more than `max`.
    let budget = Math.max(64, max * 16);
    while (budget < text.length) {
      const cut = boundaryAfter(text, budget);
      if (cut >= text.length) break;
      const ids = this.ids(text.slice(0, cut));
      if (ids.length > max) return { ids: ids.slice(0, max), truncated: true };
      budget = cut * 2;
    }
    const ids = this.ids(text);
    return ids.length > max ? { ids: ids.slice(0, max), truncated: true } : { ids, truncated: false };
  }

  private ids(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /** Query ids (validated: non-empty string with at least one token). */
  encodeQuery(query: unknown): Encoded {
    if (typeof query !== 'string') {
      throw new InputError(`MatryoshkaReranker: the query must be a string, got ${describe(query)}`);
    }
    const enc = this.encode(query, this.maxQueryTokens);
    if (enc.ids.length === 0) {
      throw new InputError('MatryoshkaReranker: the query is empty (no tokens after normalization); pass a non-empty query string');
    }
    return enc;
  }

  /** Rows for one query and many passages. Every passage must be a string ('' is allowed). */
  rows(query: unknown, passages: unknown): { rows: TokenizedRow[]; queryTruncated: boolean } {
    if (!Array.isArray(passages)) {
      throw new InputError(`MatryoshkaReranker: passages must be an array of strings, got ${describe(passages)}`);
    }
    const bad = passages.findIndex((p) => typeof p !== 'string');
    if (bad >= 0) {
      throw new InputError(`MatryoshkaReranker: passages[${bad}] must be a string, got ${describe(passages[bad])}; convert or filter it before ranking`);
    }
    const q = this.encodeQuery(query);
    const rows = (passages as string[]).map((p) => this.row(q.ids, this.encode(p, this.maxPassageTokens)));
    return { rows, queryTruncated: q.truncated };
  }

  private row(q: number[], p: Encoded): TokenizedRow {
    const ids = new Int32Array(q.length + p.ids.length + 3);
    ids[0] = this.cls;
    ids.set(q, 1);
    ids[q.length + 1] = this.sep;
    ids.set(p.ids, q.length + 2);
    ids[ids.length - 1] = this.sep;
    return { ids, qLen: q.length, pLen: p.ids.length, truncated: p.truncated };
  }
}

/** First index >= `at` that starts a whitespace run (or text.length). */
function boundaryAfter(text: string, at: number): number {
  for (let i = at; i < text.length; i++) if (WHITESPACE.test(text[i]!)) return i;
  return text.length;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `string of length ${v.length}` : typeof v;
}
