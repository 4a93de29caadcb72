import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors';
import { parseManifest } from '../src/manifest';
import { RowTokenizer } from '../src/tokenize';
import { readJson, TINY, tinyGolden, tinyManifest } from './helpers';

const m = tinyManifest();
const tok = new RowTokenizer(readJson(`${TINY}/tokenizer.json`), readJson(`${TINY}/tokenizer_config.json`), m);

describe('tokenizer parity with golden.json', () => {
  const golden = tinyGolden();
  it.each(golden.cases.map((c, i) => [i, c] as const))('case %i: inputIds, qLens, pLens, truncated', (_, c) => {
    const { rows } = tok.rows(c.query, c.passages);
    expect(rows.map((r) => Array.from(r.ids))).toEqual(c.inputIds);
    expect(rows.map((r) => r.qLen)).toEqual(c.qLens);
    expect(rows.map((r) => r.pLen)).toEqual(c.pLens);
    expect(rows.map((r) => r.truncated)).toEqual(c.truncated);
  });
});

describe('long texts', () => {
  const words = 'The quick brown fox jumps over the lazy dog, démontrant l’efficacité (of tokenizers) 12345!';
  it('cutting before tokenizing gives the same first tokens as tokenizing everything', () => {
    const text = Array.from({ length: 400 }, (_, i) => `${words} w${i}`).join('  \n ');
    const capped = tok.encode(text, m.input.maxPassageTokens);
    const full = (tok as unknown as { ids(t: string): number[] }).ids(text);
    expect(full.length).toBeGreaterThan(m.input.maxPassageTokens);
    expect(capped.truncated).toBe(true);
    expect(capped.ids).toEqual(full.slice(0, m.input.maxPassageTokens));
  });

  it('a 1 MB passage is truncated and flagged quickly', () => {
    const big = 'x'.repeat(20) + ' ' + words.repeat(Math.ceil(1_000_000 / words.length));
    const t0 = performance.now();
    const { rows } = tok.rows('fox', [big, 'short one']);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(rows[0]!.truncated).toBe(true);
    expect(rows[0]!.pLen).toBe(m.input.maxPassageTokens);
    expect(rows[1]!.truncated).toBe(false);
  });

  it('caps the query at maxQueryTokens and says so', () => {
    const { rows, queryTruncated } = tok.rows(words.repeat(20), ['p']);
    expect(queryTruncated).toBe(true);
    expect(rows[0]!.qLen).toBe(m.input.maxQueryTokens);
  });
});

describe('input validation', () => {
  it('rejects empty queries and non-strings with the index', () => {
    expect(() => tok.rows('', ['a'])).toThrow(InputError);
    expect(() => tok.rows('   ', ['a'])).toThrow(/query is empty/);
    expect(() => tok.rows(42, ['a'])).toThrow(/query must be a string, got number/);
    expect(() => tok.rows('q', ['a', null, 'b'])).toThrow(/passages\[1\] must be a string, got null/);
    expect(() => tok.rows('q', 'not an array')).toThrow(/passages must be an array/);
  });

  it('keeps empty passages as rows ([CLS] q [SEP] [SEP])', () => {
    const { rows } = tok.rows('query', ['']);
    expect(rows[0]!.pLen).toBe(0);
    expect(Array.from(rows[0]!.ids)).toEqual([101, ...Array.from(rows[0]!.ids.slice(1, -2)), 102, 102]);
  });
});

const REAL = 'models/minilm-l6-scifact';
describe.skipIf(!existsSync(`${REAL}/golden.json`))(`tokenizer parity on ${REAL}`, () => {
  it('inputIds, qLens, pLens, truncated match golden.json', () => {
    const manifest = parseManifest(readJson(`${REAL}/manifest.json`));
    const t = new RowTokenizer(readJson(`${REAL}/${manifest.input.tokenizer}`), readJson(`${REAL}/${manifest.input.tokenizerConfig}`), manifest);
    const g = readJson(`${REAL}/golden.json`) as ReturnType<typeof tinyGolden>;
    for (const c of g.cases) {
      const { rows } = t.rows(c.query, c.passages);
      expect(rows.map((r) => Array.from(r.ids))).toEqual(c.inputIds);
      expect(rows.map((r) => r.truncated)).toEqual(c.truncated);
    }
  });
});
