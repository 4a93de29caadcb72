import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeirFormatError, UnknownSplitError, availableSplits, loadBeir } from '../tools/data/beir';
import { DataFileError } from '../tools/data/lines';

let root: string;

/** Writes a BEIR folder under the temp root and returns its path. */
function beirFolder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const corpus = [
  { _id: 'd1', title: 'Cats', text: 'cats purr and sleep' },
  { _id: 'd2', text: 'dogs bark', metadata: { source: 'x' } },
  { _id: 'd3', title: 'Birds', text: 'birds sing' },
].map((d) => JSON.stringify(d)).join('\n');
const queries = [
  { _id: 'q1', text: 'purring cats' },
  { _id: 'q2', text: 'barking' },
  { _id: 'q3', text: 'no judgements for me' },
].map((q) => JSON.stringify(q)).join('\r\n');
const qrels = 'query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t0\nq2\td2\t1\nq9\td1\t1\n';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'beir-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadBeir from a path', () => {
  it('loads corpus, the split\'s queries and graded qrels', async () => {
    const dir = beirFolder('ok', { 'corpus.jsonl': `${corpus}\n`, 'queries.jsonl': queries, 'qrels/test.tsv': qrels });
    const ds = await loadBeir(dir);
    expect(ds.split).toBe('test');
    expect(ds.corpus.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
    expect(ds.corpusById.get('d2')).toEqual({ id: 'd2', title: '', text: 'dogs bark' });
    // q3 has no judgements; q9 is judged but not in queries.jsonl.
    expect(ds.queries).toEqual([{ id: 'q1', text: 'purring cats' }, { id: 'q2', text: 'barking' }]);
    expect(ds.qrels.get('q1')).toEqual(new Map([['d1', 2], ['d3', 0]]));
    expect([...ds.qrels.keys()]).toEqual(['q1', 'q2']);
    expect(ds.warnings.join(' ')).toMatch(/q9/);
  });

  it('keeps only queries passing queryFilter and honours maxDocuments', async () => {
    const dir = beirFolder('filter', { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': qrels });
    const ds = await loadBeir(dir, { queryFilter: (id) => id === 'q2', maxDocuments: 2 });
    expect(ds.queries.map((q) => q.id)).toEqual(['q2']);
    expect([...ds.qrels.keys()]).toEqual(['q2']);
    expect(ds.corpus).toHaveLength(2);
  });

  it('names the available splits when the split is unknown', async () => {
    const dir = beirFolder('splits', { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/train.tsv': qrels, 'qrels/dev.tsv': qrels });
    const err = await loadBeir(dir, { split: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownSplitError);
    expect((err as UnknownSplitError).available).toEqual(['dev', 'train']);
    expect((err as Error).message).toMatch(/Split "test" not found.*Available splits: dev, train/);
    expect(await availableSplits(dir)).toEqual(['dev', 'train']);
  });

  it('reports a bad JSON line with its file and line number', async () => {
    const dir = beirFolder('badjson', {
      'corpus.jsonl': `${JSON.stringify({ _id: 'a', text: 'x' })}\n\n{"_id": "b", "text": oops}\n`,
      'queries.jsonl': queries,
      'qrels/test.tsv': qrels,
    });
    const err = await loadBeir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeirFormatError);
    expect((err as BeirFormatError).lineNumber).toBe(3);
    expect((err as Error).message).toMatch(/corpus\.jsonl:3: invalid JSON/);
  });

  it('rejects missing fields, duplicate ids and bad qrels rows', async () => {
    const noText = beirFolder('notext', { 'corpus.jsonl': '{"_id": "a", "title": "t"}', 'queries.jsonl': queries, 'qrels/test.tsv': qrels });
    await expect(loadBeir(noText)).rejects.toThrow(/corpus\.jsonl:1: missing "text"/);
    const dup = beirFolder('dup', { 'corpus.jsonl': corpus, 'queries.jsonl': `${queries}\n{"_id": "q1", "text": "again"}`, 'qrels/test.tsv': qrels });
    await expect(loadBeir(dup)).rejects.toThrow(/queries\.jsonl:4: duplicate query id "q1"/);
    const badQrels = beirFolder('badqrels', { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\n' });
    await expect(loadBeir(badQrels)).rejects.toThrow(/test\.tsv:2: expected 3 tab-separated columns/);
    const badGrade = beirFolder('badgrade', { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': 'q1\td1\t1\nq1\td2\thigh\n' });
    await expect(loadBeir(badGrade)).rejects.toThrow(/test\.tsv:2: score "high" is not a number/);
  });

  it('says when the folder is not a BEIR folder or a file is missing', async () => {
    await expect(loadBeir(join(root, 'nowhere'))).rejects.toThrow(DataFileError);
    await expect(loadBeir(join(root, 'nowhere'))).rejects.toThrow(/corpus\.jsonl is missing/);
    const noQueries = beirFolder('noqueries', { 'corpus.jsonl': corpus, 'qrels/test.tsv': qrels });
    await expect(loadBeir(noQueries)).rejects.toThrow(/File not found or not readable: .*queries\.jsonl/);
  });
});

describe('loadBeir from a URL (the browser path, via fetch)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const dir = beirFolder('served', { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': qrels, 'qrels/dev.tsv': qrels });
    server = createServer((req, res) => {
      const file = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!existsSync(file) || !file.startsWith(dir)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('loads the same dataset over HTTP', async () => {
    const ds = await loadBeir(base, { split: 'test' });
    expect(ds.corpus).toHaveLength(3);
    expect(ds.queries.map((q) => q.id)).toEqual(['q1', 'q2']);
    expect(ds.qrels.get('q1')?.get('d1')).toBe(2);
  });

  it('probes the splits over HTTP when the split is unknown', async () => {
    await expect(loadBeir(base, { split: 'train' })).rejects.toThrow(/Available splits: dev, test/);
  });
});
