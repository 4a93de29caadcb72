/**
 * The search-stack integrations against the real, installed libraries (no stand-ins): MiniSearch,
 * Orama, the AI SDK's rerank() and LangChain's BaseDocumentCompressor, each re-ranking with the
 * tiny fixture model in this thread. Each adapter's order and scores must equal what the engine
 * gives for the same texts and first-stage scores called directly.
 */
import { create, insertMultiple, search } from '@orama/orama';
import { Document } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { rerank, type RerankingModel } from 'ai';
import MiniSearch from 'minisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdaptiveReranker } from '../src/controller';
import { Engine } from '../src/engine';
import { InputError, OptionsError } from '../src/errors';
import { rerankingModel } from '../src/integrations/ai-sdk';
import { MatryoshkaRerank } from '../src/integrations/langchain';
import { rerankMiniSearch } from '../src/integrations/minisearch';
import { searchAndRerank } from '../src/integrations/orama';
import { TINY } from './helpers';

const DOCS = [
  { id: 1, title: 'BM25 ranking', text: 'BM25 is a bag-of-words ranking function based on term frequency and document length.' },
  { id: 2, title: 'Cats', text: 'Cats sleep for most of the day and rank naps above everything.' },
  { id: 3, title: 'Search engines', text: 'Search engines rank documents by estimating their relevance to a query.' },
  { id: 4, title: 'Learning to rank', text: 'Learning to rank trains a model to order documents for a query.' },
  { id: 5, title: 'Cross-encoders', text: 'A cross-encoder reads the query and the document together to rank documents.' },
  { id: 6, title: 'Term frequency', text: 'Term frequency counts how often a word occurs in a document.' },
];
const QUERY = 'how do search engines rank documents';

let engine: Engine;
beforeAll(async () => { engine = await Engine.create({ model: TINY, backend: 'wasm', numThreads: 1 }); });
afterAll(() => engine?.dispose());

/** The engine's ranking of `texts`, called directly: [index, score, modelScore]. */
async function direct(texts: string[], firstStage?: number[], config?: string): Promise<{ index: number; score: number; modelScore?: number }[]> {
  const r = await engine.rank(QUERY, texts, { ...(firstStage ? { firstStageScores: firstStage } : {}), ...(config ? { config } : {}) });
  return r.results.map(({ index, score, modelScore }) => ({ index, score, ...(modelScore !== undefined ? { modelScore } : {}) }));
}

describe('matryoshka-reranker/minisearch', () => {
  const ms = new MiniSearch({ fields: ['title', 'text'], storeFields: ['title', 'text'] });
  ms.addAll(DOCS);

  it('re-ranks MiniSearch results with their scores as the first stage', async () => {
    const hits = ms.search(QUERY);
    expect(hits.length).toBeGreaterThan(3);
    const out = await rerankMiniSearch(engine, QUERY, hits);
    const want = await direct(hits.map((h) => `${h.title}\n${h.text}`), hits.map((h) => h.score));
    expect(out.map((r) => r.id)).toEqual(want.map((w) => hits[w.index]!.id));
    out.forEach((r, i) => {
      expect(r.score).toBeCloseTo(want[i]!.score, 6);
      expect(r.modelScore).toBeCloseTo(want[i]!.modelScore!, 6);
      expect(r.firstStageScore).toBe(hits[want[i]!.index]!.score);
      expect(r.title).toBe(DOCS.find((d) => d.id === r.id)!.title); // stored fields kept
    });
  });

  it('re-ranks only the first `candidates`, returns `topK`, reads option `text`', async () => {
    const hits = ms.search(QUERY);
    const out = await rerankMiniSearch(engine, QUERY, hits, { candidates: 3, topK: 2, text: (r) => r.text as string, fuse: false });
    const want = await direct(hits.slice(0, 3).map((h) => h.text as string));
    expect(out.map((r) => r.id)).toEqual(want.slice(0, 2).map((w) => hits[w.index]!.id));
    expect(out[0]!.score).toBeCloseTo(want[0]!.score, 6);
  });

  it('names the fix when results carry no stored text', async () => {
    const bare = new MiniSearch({ fields: ['title', 'text'] });
    bare.addAll(DOCS);
    await expect(rerankMiniSearch(engine, QUERY, bare.search(QUERY))).rejects.toThrow(InputError);
    await expect(rerankMiniSearch(engine, QUERY, bare.search(QUERY))).rejects.toThrow(/storeFields/);
  });

  it('serves a latency budget through the adaptive controller', async () => {
    const hits = ms.search(QUERY);
    await expect(rerankMiniSearch(engine, QUERY, hits, { budgetMs: 50 })).rejects.toThrow(OptionsError);
    const asked: { budgetMs: number; rows: number }[] = [];
    const adaptive = await createAdaptiveReranker((chooseConfig) => Engine.create({
      model: TINY, backend: 'wasm', numThreads: 1,
      chooseConfig: (req) => { asked.push({ budgetMs: req.budgetMs, rows: req.lengths.length }); return chooseConfig(req); },
    }), { skipCalibration: true });
    try {
      const out = await rerankMiniSearch(adaptive, QUERY, hits, { budgetMs: 50, candidates: 4 });
      expect(out).toHaveLength(4);
      expect(asked).toEqual([{ budgetMs: 50, rows: 4 }]);
    } finally {
      await adaptive.dispose();
    }
  });
});

describe('matryoshka-reranker/orama', () => {
  const schema = { title: 'string', text: 'string' } as const;

  it('fetches `candidates` hits, re-ranks them all, and returns the page in Orama\'s shape', async () => {
    const db = create({ schema });
    await insertMultiple(db, DOCS.map(({ title, text }) => ({ title, text })));
    const plain = await search(db, { term: QUERY, limit: 5 });
    expect(plain.hits.length).toBe(5);
    const page = await searchAndRerank(db, engine, { term: QUERY, limit: 2 }, { candidates: 5 });
    expect(page.reranked).toBe(5);
    expect(page.hits).toHaveLength(2);
    expect(page.count).toBe(plain.count);
    const want = await direct(plain.hits.map((h) => `${h.document.title}\n${h.document.text}`), plain.hits.map((h) => h.score));
    expect(page.hits.map((h) => h.id)).toEqual(want.slice(0, 2).map((w) => plain.hits[w.index]!.id));
    expect(page.hits[0]!.score).toBeCloseTo(want[0]!.score, 6);
    expect(page.hits[0]!.firstStageScore).toBe(plain.hits[want[0]!.index]!.score);
    expect(page.rerank.backend).toBe('wasm');

    const next = await searchAndRerank(db, engine, { term: QUERY, limit: 2, offset: 2 }, { candidates: 5, text: ['text'] });
    const wantText = await direct(plain.hits.map((h) => h.document.text), plain.hits.map((h) => h.score));
    expect(next.hits.map((h) => h.id)).toEqual(wantText.slice(2, 4).map((w) => plain.hits[w.index]!.id));
  });

  it('needs a term', async () => {
    const db = create({ schema });
    await expect(searchAndRerank(db, engine, { limit: 2 })).rejects.toThrow(/params\.term/);
  });
});

describe('matryoshka-reranker/ai-sdk', () => {
  const texts = DOCS.map((d) => d.text);

  it('is a RerankingModel that the AI SDK\'s rerank() runs, topN included', async () => {
    const model: RerankingModel = rerankingModel(engine);
    const r = await rerank({ model, query: QUERY, documents: texts, topN: 3 });
    const want = await direct(texts);
    expect(r.ranking.map((x) => x.originalIndex)).toEqual(want.slice(0, 3).map((w) => w.index));
    r.ranking.forEach((x, i) => expect(x.score).toBeCloseTo(want[i]!.score, 6));
    expect(r.rerankedDocuments).toEqual(want.slice(0, 3).map((w) => texts[w.index]));
    expect(r.providerMetadata?.matryoshka?.backend).toBe('wasm');
  });

  it('ranks object documents and takes providerOptions.matryoshka per call', async () => {
    const r = await rerank({
      model: rerankingModel(engine, { text: (d) => String(d.text) }),
      query: QUERY,
      documents: DOCS.map(({ id, text }) => ({ id, text })),
      providerOptions: { matryoshka: { config: 'd2' } },
    });
    const want = await direct(texts, undefined, 'd2');
    expect(r.ranking.map((x) => x.originalIndex)).toEqual(want.map((w) => w.index));
    expect(r.ranking[0]!.score).toBeCloseTo(want[0]!.score, 6);
  });
});

describe('matryoshka-reranker/langchain', () => {
  const docs = DOCS.map((d) => new Document({ pageContent: d.text, metadata: { source: d.title, similarity: d.id / 10 }, id: String(d.id) }));

  it('is a BaseDocumentCompressor that re-orders documents and keeps their metadata', async () => {
    const compressor = new MatryoshkaRerank({ reranker: engine, topK: 4 });
    expect(compressor).toBeInstanceOf(BaseDocumentCompressor);
    expect(BaseDocumentCompressor.isBaseDocumentCompressor(compressor)).toBe(true);
    const out = await compressor.compressDocuments(docs, QUERY);
    const want = await direct(docs.map((d) => d.pageContent));
    expect(out.map((d) => d.id)).toEqual(want.slice(0, 4).map((w) => docs[w.index]!.id));
    out.forEach((d, i) => {
      expect(d).toBeInstanceOf(Document);
      expect(d.metadata.source).toBe(docs[want[i]!.index]!.metadata.source);
      expect(d.metadata.relevanceScore).toBeCloseTo(want[i]!.score, 6);
    });
  });

  it('fuses a first-stage score from metadata when asked', async () => {
    const compressor = new MatryoshkaRerank({ reranker: engine, firstStageScore: (d) => d.metadata.similarity as number });
    const out = await compressor.compressDocuments(docs, QUERY);
    const want = await direct(docs.map((d) => d.pageContent), docs.map((d) => d.metadata.similarity as number));
    expect(out.map((d) => d.id)).toEqual(want.map((w) => docs[w.index]!.id));
    expect(out[0]!.metadata.modelScore).toBeCloseTo(want[0]!.modelScore!, 6);
  });
});
