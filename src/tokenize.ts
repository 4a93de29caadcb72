/**
 * Tokenization and row layout (docs/bundle-format.md, "Sequence layout"): query and passage
 * are tokenized separately without special tokens, capped at the manifest's limits, and laid
 * out as `[CLS] q [SEP] p [SEP]`. Work is bounded by characters before tokenizing, whatever
 * the script: at most `CHARS_PER_TOKEN` characters per token of the limit are ever tokenized
 * (cut where BERT's pre-tokenizer splits, so the kept tokens are unchanged), and a 1 MB passage
 * costs about as much as a short one (docs/runtime.md).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BundleError, InputError, throwIfAborted } from './errors';
import { yieldToEventLoop } from './event-loop';
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

/**
 * At most `max * CHARS_PER_TOKEN` characters of a text are tokenized (`max`: the manifest's
 * maxQueryTokens or maxPassageTokens; 3,072 characters of a passage and 976 of a query for the
 * shipped model). English averages 4 to 5 characters per token, so the cut text still gives
 * more than `max` tokens; a text whose first characters give fewer (e.g. words longer than
 * WordPiece's 100 characters, which become one [UNK]) is scored on what they give, flagged
 * `truncated`.
 */
export const CHARS_PER_TOKEN = 16;
/** Characters per token of the first, shorter attempt. */
const FIRST_TRY = 6;

// Characters at which BERT's normalizer and pre-tokenizer always split (whitespace, ASCII and
// Unicode punctuation, CJK ideographs); cutting just before one leaves the tokens of the kept
// prefix unchanged.
const SPLITS_BEFORE = /[\s!-/:-@[-`{-~\p{P}\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/u;
const NON_SPACE = /\S/gu;
/** Tokenizing many passages yields to the event loop this often (ms), so an abort is seen. */
const SLICE_MS = 20;

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

  /** Token ids of `text` without special tokens, at most `max` of them (bounded work, see CHARS_PER_TOKEN). */
  encode(text: string, max: number): Encoded {
    // A short prefix first (enough for most text), then the full bound: at most
    // (FIRST_TRY + CHARS_PER_TOKEN) * max characters are ever tokenized.
    for (const perToken of [FIRST_TRY, CHARS_PER_TOKEN]) {
      const limit = max * perToken;
      if (text.length <= limit) break;
      const cut = cutPoint(text, limit);
      const ids = this.ids(text.slice(0, cut));
      if (ids.length > max) return { ids: ids.slice(0, max), truncated: true };
      if (perToken === CHARS_PER_TOKEN) {
        NON_SPACE.lastIndex = cut;
        return { ids, truncated: NON_SPACE.test(text) };
      }
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
    const { q, list } = this.check(query, passages);
    const rows = list.map((p) => this.row(q.ids, this.encode(p, this.maxPassageTokens)));
    return { rows, queryTruncated: q.truncated };
  }

  /**
   * `rows`, yielding to the event loop every SLICE_MS of tokenizing, so that `signal` (and
   * other work) is served while many passages are tokenized. Throws AbortError when it fires.
   */
  async rowsAsync(query: unknown, passages: unknown, signal?: AbortSignal): Promise<{ rows: TokenizedRow[]; queryTruncated: boolean }> {
    const { q, list } = this.check(query, passages);
    const rows: TokenizedRow[] = [];
    let slice = performance.now();
    for (const p of list) {
      if (performance.now() - slice > SLICE_MS) {
        await yieldToEventLoop();
        throwIfAborted(signal);
        slice = performance.now();
      }
      rows.push(this.row(q.ids, this.encode(p, this.maxPassageTokens)));
    }
    return { rows, queryTruncated: q.truncated };
  }

  /** Validate the input and encode the query. */
  private check(query: unknown, passages: unknown): { q: Encoded; list: string[] } {
    if (!Array.isArray(passages)) {
      throw new InputError(`MatryoshkaReranker: passages must be an array of strings, got ${describe(passages)}`);
    }
    const bad = passages.findIndex((p) => typeof p !== 'string');
    if (bad >= 0) {
      throw new InputError(`MatryoshkaReranker: passages[${bad}] must be a string, got ${describe(passages[bad])}; convert or filter it before ranking`);
    }
    return { q: this.encodeQuery(query), list: (passages as string[]).slice() };
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

/**
 * Where to cut a text longer than `limit`: the last split point in (limit/2, limit], else
 * `limit` itself (never inside a surrogate pair). Scans at most `limit` characters.
 */
export function cutPoint(text: string, limit: number): number {
  for (let i = limit; i > limit / 2; i--) if (SPLITS_BEFORE.test(text[i]!)) return i;
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `string of length ${v.length}` : typeof v;
}
