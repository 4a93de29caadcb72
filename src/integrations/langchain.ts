/**
 * `matryoshka-reranker/langchain`: a LangChain.js document compressor that re-ranks retrieved
 * documents on device (use it in a `ContextualCompressionRetriever`, or call it directly).
 *
 *   const compressor = new MatryoshkaRerank({ reranker, topK: 5 });
 *   const docs = await compressor.compressDocuments(retrieved, query);
 *   docs[0].metadata.relevanceScore
 */
import type { Callbacks } from '@langchain/core/callbacks/manager';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import type { RerankerInterface } from '../types';
import { rerankCandidates, type RerankCandidatesOptions } from './candidates';

export interface MatryoshkaRerankFields extends Omit<RerankCandidatesOptions, 'signal' | 'fuse'> {
  /** The reranker (createWorkerReranker / createReranker / createAdaptiveReranker). */
  reranker: RerankerInterface;
  /**
   * The first stage's score of a document (e.g. a vector store's similarity kept in metadata):
   * when given, documents are ranked by the hybrid score. Default: none, the model's score alone.
   */
  firstStageScore?: (document: DocumentInterface) => number;
}

/** Re-ranks documents by the query; each keeps its metadata plus `relevanceScore` (and `modelScore` when fused). */
export class MatryoshkaRerank extends BaseDocumentCompressor {
  readonly fields: MatryoshkaRerankFields;

  constructor(fields: MatryoshkaRerankFields) {
    super();
    this.fields = fields;
  }

  async compressDocuments(documents: DocumentInterface[], query: string, _callbacks?: Callbacks): Promise<DocumentInterface[]> {
    const { reranker, firstStageScore, ...options } = this.fields;
    const { candidates } = await rerankCandidates(reranker, query, documents, (d) => d.pageContent,
      firstStageScore ?? (() => 0), { ...options, fuse: firstStageScore !== undefined });
    return candidates.map((c) => new Document({
      pageContent: c.hit.pageContent,
      metadata: { ...c.hit.metadata, relevanceScore: c.score, ...(firstStageScore ? { modelScore: c.modelScore } : {}) },
      ...(c.hit.id !== undefined ? { id: c.hit.id } : {}),
    }));
  }
}
