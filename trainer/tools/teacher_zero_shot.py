"""Zero-shot nDCG@10 of the external teacher (mrr/teacher.py) re-ranking BM25 top-100: BM25 alone,
the bi-encoder cosine alone, and their z-score fusion; all queries (scifact: dev split).

  .venv/bin/python tools/teacher_zero_shot.py adi medline cisi cranfield scifact
"""
import sys, time, numpy as np, torch
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
from mrr.data import load_beir, BM25, is_dev
from mrr.teacher import embed
from mrr.fusion import fuse
import ir_measures
from ir_measures import nDCG
torch.set_num_threads(2)
emb = lambda texts: embed(texts, log=None)
for name in sys.argv[1:]:
    split='train' if name=='scifact' else 'test'
    ds = load_beir(str(__import__('pathlib').Path(__file__).resolve().parents[3] / 'shared' / 'datasets' / name), split)
    qids = [q for q in ds.qrels if (is_dev(q) if name=='scifact' else True)]
    bm = BM25(ds.doc_texts); docs, sc = bm.search([ds.queries[q] for q in qids], 100)
    need = sorted(set(int(x) for x in docs.ravel()))
    t=time.time(); E = dict(zip(need, emb([ds.doc_texts[i] for i in need]))); Q = emb([ds.queries[q] for q in qids])
    qrels = [ir_measures.Qrel(q, dd, g) for q in qids for dd, g in ds.qrels[q].items()]
    def run(scorefn):
        return [ir_measures.ScoredDoc(q, ds.doc_ids[int(dd)], float(s)) for i,q in enumerate(qids) for dd, s in zip(docs[i], scorefn(i))]
    bi = lambda i: np.array([Q[i]@E[int(dd)] for dd in docs[i]])
    res = {'bm25': run(lambda i: sc[i]), 'bi': run(bi), 'fuse': run(lambda i: fuse(bi(i), sc[i]))}
    print(name, len(qids), {k: round(ir_measures.calc_aggregate([nDCG@10], qrels, v)[nDCG@10],4) for k,v in res.items()}, f'{time.time()-t:.0f}s', flush=True)
