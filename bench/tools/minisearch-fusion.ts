/**
 * Does MiniSearch work as the first stage in place of our BM25 (tools/data/bm25.ts, the one the
 * model was evaluated with)? On the same queries: nDCG@10 of each first stage alone, of the model
 * re-ranking each one's top-k alone, and fused (z(model) + w·z(first stage), the manifest's w).
 * The MiniSearch pipeline goes through the adapter (`rerankMiniSearch`) as an app would call it.
 *
 *   node --import tsx bench/tools/minisearch-fusion.ts [--root ../shared/datasets]
 *     [--dataset scifact:train:dev] [--model models/minilm-l6-scifact] [--queries 30] [--top-k 100] [--threads 1]
 *     [--analyzer] [--minisearch-only]
 *
 * Queries: the first n of the split in file order. Prints a Markdown table.
 */
import MiniSearch from 'minisearch';
import { parseArgs } from 'node:util';
import { loadBeir } from '../../tools/data/beir';
import { createAnalyzer } from '../../tools/data/analyzer';
import { Bm25Index, documentText } from '../../tools/data/bm25';
import { querySplitFilter, type QuerySplitSide } from '../../tools/data/dev-split';
import { Engine } from '../../src/engine';
import { rerankMiniSearch } from '../../src/integrations/minisearch';
import { evaluateRun } from '../metrics';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: '../shared/datasets' },
      dataset: { type: 'string', default: 'scifact:train:dev' },
      model: { type: 'string', default: 'models/minilm-l6-scifact' },
      queries: { type: 'string', default: '30' },
      'top-k': { type: 'string', default: '100' },
      threads: { type: 'string', default: '1' },
      /** Give MiniSearch our analyzer (Porter2 stemming, stop words) as tokenize / processTerm. */
      analyzer: { type: 'boolean', default: false },
      /** Skip the BM25 (ours) rows: half the model calls. */
      'minisearch-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [name = '', split = 'test', side = 'all'] = values.dataset.split(':');
  const ds = await loadBeir(`${values.root}/${name}`, { split, queryFilter: querySplitFilter(side as QuerySplitSide) });
  const queries = ds.queries.slice(0, Number(values.queries));
  const topK = Number(values['top-k']);

  const bm25 = Bm25Index.build(ds.corpus);
  const analyzer = createAnalyzer();
  const mini = new MiniSearch<{ id: string; title: string; text: string }>({
    fields: ['title', 'text'],
    ...(values.analyzer ? { tokenize: analyzer.tokenize, processTerm: analyzer.processTerm } : {}),
  });
  mini.addAll(ds.corpus);
  const engine = await Engine.create({ model: values.model, backend: 'wasm', numThreads: Number(values.threads) });

  const runs = {
    'BM25 (ours)': new Map<string, string[]>(), 'model on BM25 top-k': new Map<string, string[]>(), 'model + BM25 fused': new Map<string, string[]>(),
    'MiniSearch': new Map<string, string[]>(), 'model on MiniSearch top-k': new Map<string, string[]>(), 'model + MiniSearch fused (adapter)': new Map<string, string[]>(),
  };
  const text = (id: string): string => documentText(ds.corpusById.get(id)!);
  const t0 = performance.now();
  for (const [i, q] of queries.entries()) {
    const bHits = bm25.search(q.text, topK);
    runs['BM25 (ours)'].set(q.id, bHits.map((h) => h.id));
    // One model call per first stage: the fused ranking, whose results keep the model's own
    // score (modelScore), which orders the model-alone ranking.
    const byModel = <T extends { modelScore?: number; score: number }>(xs: T[]): T[] => [...xs].sort((a, b) => (b.modelScore ?? b.score) - (a.modelScore ?? a.score));
    if (!values['minisearch-only']) {
      const fused = await engine.rank(q.text, bHits.map((h) => text(h.id)), { firstStageScores: bHits.map((h) => h.score) });
      runs['model + BM25 fused'].set(q.id, fused.results.map((r) => bHits[r.index]!.id));
      runs['model on BM25 top-k'].set(q.id, byModel(fused.results).map((r) => bHits[r.index]!.id));
    }

    const mHits = mini.search(q.text).slice(0, topK);
    runs.MiniSearch.set(q.id, mHits.map((h) => String(h.id)));
    const mFused = await rerankMiniSearch(engine, q.text, mHits, { candidates: topK, text: (r) => text(String(r.id)) });
    runs['model + MiniSearch fused (adapter)'].set(q.id, mFused.map((r) => String(r.id)));
    runs['model on MiniSearch top-k'].set(q.id, byModel(mFused).map((r) => String(r.id)));
    if ((i + 1) % 5 === 0) process.stderr.write(`minisearch-fusion: ${i + 1}/${queries.length} queries, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  await engine.dispose();
  const qrels = new Map(queries.map((q) => [q.id, ds.qrels.get(q.id) ?? new Map<string, number>()] as const));
  const rows = [`${values.dataset}, first ${queries.length} queries, top-${topK} candidates, model ${values.model} (full depth), MiniSearch ${values.analyzer ? 'with our analyzer (Porter2, stop words)' : 'defaults'}:`, '',
    '| ranking | nDCG@10 | R@100 |', '|---|---:|---:|'];
  for (const [label, run] of Object.entries(runs)) {
    if (run.size === 0) continue;
    const { mean } = evaluateRun(run, qrels, { recallK: [100] });
    rows.push(`| ${label} | ${(mean['nDCG@10'] ?? 0).toFixed(4)} | ${(mean['R@100'] ?? 0).toFixed(4)} |`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
