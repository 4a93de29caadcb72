import { describe, expect, it } from 'vitest';
import { joinLocation, splitLines } from '../tools/data/lines';

async function* chunks(parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

async function collect(parts: string[]): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const { text, lineNumber } of splitLines(chunks(parts))) out.push([lineNumber, text]);
  return out;
}

describe('splitLines', () => {
  it('splits across chunk boundaries, strips CRLF and keeps a last line without newline', async () => {
    expect(await collect(['ab', 'c\r', '\nde\n\nf', 'g'])).toEqual([[1, 'abc'], [2, 'de'], [3, ''], [4, 'fg']]);
  });
  it('yields nothing for empty input and one line per trailing newline', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect(['x\n'])).toEqual([[1, 'x']]);
  });
});

describe('joinLocation', () => {
  it('joins paths and URLs', () => {
    expect(joinLocation('data/adi', 'qrels/test.tsv')).toBe('data/adi/qrels/test.tsv');
    expect(joinLocation('data/adi/', 'corpus.jsonl')).toBe('data/adi/corpus.jsonl');
    expect(joinLocation('https://x.org/d/adi', 'corpus.jsonl')).toBe('https://x.org/d/adi/corpus.jsonl');
  });
});
