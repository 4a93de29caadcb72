"""Pilot (issue 16): how much of all-MiniLM-L6-v2's cosine survives when query and passage go
through the encoder together, as in the cross-encoder, and are mean-pooled per segment.

For each pair [CLS] q [SEP] p [SEP] (the re-ranker's input), at layer L: cos(mean of q's
tokens, mean of p's tokens), with (a) full attention (the cross-encoder's) and (b) attention
kept inside each segment (the bi-encoder, up to position ids). Against BM25 and the embedder's
own cosine (query and passage embedded apart, mrr/teacher.py `embed`), nDCG@10 on BM25 top-k.
If (a) stays near the embedder, a re-ranker whose exit head adds this cosine starts where the
embedder is instead of unlearning it.

  .venv/bin/python tools/joint_cosine_pilot.py --datasets wikiqa-dev,cisi --max-queries 30 --k 30
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mrr.evaluate import bm25_candidates, load_dataset, measure  # noqa: E402
from mrr.teacher import embed  # noqa: E402


def pair_cosines(model, tok, query: str, passages: list[str], layers: list[int], segment_only: bool) -> dict[int, np.ndarray]:
    b = tok([query] * len(passages), passages, padding=True, truncation="longest_first", max_length=256, return_tensors="pt")
    tt, am = b["token_type_ids"], b["attention_mask"]
    ids = b["input_ids"]
    qmask = ((tt == 0) & (am == 1)).float()
    qmask[:, 0] = 0  # [CLS]
    sep = ids == tok.sep_token_id
    qmask[sep] = 0
    pmask = ((tt == 1) & (am == 1)).float()
    pmask[sep] = 0
    if segment_only:  # [B,1,T,T]: a token sees its own segment only
        seg = tt.unsqueeze(2) == tt.unsqueeze(1)
        ext = (seg & (am.unsqueeze(1) == 1)).unsqueeze(1)
        ext = (1.0 - ext.float()) * torch.finfo(torch.float32).min
        hs = _forward_with_mask(model, ids, tt, ext)
    else:
        hs = model(input_ids=ids, token_type_ids=tt, attention_mask=am, output_hidden_states=True).hidden_states
    res = {}
    for L in layers:
        h = hs[L]
        q = (h * qmask.unsqueeze(-1)).sum(1) / qmask.sum(1, keepdim=True).clamp(min=1)
        p = (h * pmask.unsqueeze(-1)).sum(1) / pmask.sum(1, keepdim=True).clamp(min=1)
        res[L] = torch.nn.functional.cosine_similarity(q, p, dim=-1).numpy()
    return res


def _forward_with_mask(model, ids, tt, ext):
    """BERT forward with an explicit additive [B,1,T,T] mask (hidden states of every layer)."""
    h = model.embeddings(input_ids=ids, token_type_ids=tt)
    hs = [h]
    for layer in model.encoder.layer:
        h = layer(h, attention_mask=ext)[0]
        hs.append(h)
    return hs


def main():
    from transformers import AutoModel, AutoTokenizer
    from mrr.pretrained import package_dir
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="wikiqa-dev,cisi")
    ap.add_argument("--root", default="../../shared/datasets")
    ap.add_argument("--max-queries", type=int, default=30)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--layers", default="3,4,6")
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(str(package_dir()))
    model = AutoModel.from_pretrained(str(package_dir()), attn_implementation="eager").eval()
    layers = [int(x) for x in a.layers.split(",")]
    report = {}
    for spec in a.datasets.split(","):
        name, ds, _, qids = load_dataset(spec, a.root, a.max_queries)
        cands = bm25_candidates(ds, qids, a.k)
        runs: dict[str, dict[str, dict[str, float]]] = {"bm25": {}, "embedder cosine": {}}
        docs = sorted({d for q in qids for d, _ in cands[q]})
        demb = dict(zip(docs, embed([ds.doc_texts[d] for d in docs], log=None)))
        qemb = dict(zip(qids, embed([ds.queries[q] for q in qids], log=None)))
        with torch.inference_mode():
            for q in qids:
                ids = [d for d, _ in cands[q]]
                runs["bm25"][q] = {ds.doc_ids[d]: s for d, s in cands[q]}
                runs["embedder cosine"][q] = {ds.doc_ids[d]: float(qemb[q] @ demb[d]) for d in ids}
                for seg in (False, True):
                    cs = pair_cosines(model, tok, ds.queries[q], [ds.doc_texts[d] for d in ids], layers, seg)
                    for L, c in cs.items():
                        key = f"{'segment' if seg else 'joint'} L{L}"
                        runs.setdefault(key, {})[q] = {ds.doc_ids[d]: float(s) for d, s in zip(ids, c)}
        qrels = {q: ds.qrels[q] for q in qids}
        report[name] = {k: round(measure(qrels, r)["ndcg10"], 4) for k, r in runs.items()}
        print(name, len(qids), "queries:", json.dumps(report[name]))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
