"""An external, label-free teacher for the top exit: the base model's own bi-encoder similarity
fused with BM25, over each training query's BM25 top-k.

all-MiniLM-L6-v2 is a sentence embedder trained on a billion pairs; its cosine similarity
carries general relevance knowledge that a cross-encoder fine-tuned on one small dataset
forgets. BM25 carries exact-term matching. Within each query's candidate list both scores are
z-normalised and summed; the re-ranker learns that fusion (listwise), plus labels where they
exist. Computed once from the training corpus and cached (`teacher.npz`): no test data.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import BM25


@dataclass
class TeacherLists:
    """Per training query: candidate doc indices, best BM25 first, and the teacher's scores."""
    docs: list[np.ndarray]  # [k (+ missing positives)] int
    scores: list[np.ndarray]  # same shape, float32: z(cos) + z(bm25)


def embed(texts: list[str], batch: int = 32, max_length: int = 256, log=print) -> np.ndarray:
    """Sentence embeddings of all-MiniLM-L6-v2 (mean pooling, L2-normalised) -> [N,384]."""
    from transformers import AutoModel, AutoTokenizer
    from .pretrained import package_dir
    tok = AutoTokenizer.from_pretrained(str(package_dir()))
    model = AutoModel.from_pretrained(str(package_dir())).eval()
    order = np.argsort([-len(t) for t in texts])  # length-sorted batches waste less padding
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for n, i in enumerate(range(0, len(texts), batch)):
            idx = order[i:i + batch]
            b = tok([texts[j] for j in idx], padding=True, truncation=True, max_length=max_length,
                    return_tensors="pt")
            h = model(**b).last_hidden_state  # [B,T,H]
            mask = b["attention_mask"].unsqueeze(-1).float()
            e = torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)
            out[idx] = e.numpy()
            if log and n % 40 == 39:
                log(f"  teacher: embedded {i + len(idx)}/{len(texts)}")
    return out


# The teacher's weights: w * z(score) summed over scorers, fixed before the student trains. Chosen
# zero-shot by tools/teacher_zero_shot.py over the QA dev splits and the shared collections
# together (results/teacher-zero-shot.json): the ratio bm25:minilm = 1:2 has the best mean nDCG
# relative to BM25 (1.1065, against 1.0910 for the former 1:1 and 1.0546 for the embedder alone; QA questions favour the embedder).
# The scale (0.75 + 1.5) keeps the listwise targets about as sharp as the former 1 + 1.
TEACHER_WEIGHTS: dict[str, float] = {"bm25": 0.75, "minilm": 1.5}


def parse_weights(spec: str) -> dict[str, float]:
    """'bm25=0.5,minilm=1' -> {'bm25': 0.5, 'minilm': 1.0}; '' -> TEACHER_WEIGHTS."""
    if not spec:
        return dict(TEACHER_WEIGHTS)
    out = {}
    for part in spec.split(","):
        name, _, w = part.partition("=")
        if name not in ("bm25", "minilm", "e5") or not w:
            raise ValueError(f"teacher weights: {part!r} is not name=weight with name bm25, minilm or e5")
        out[name] = float(w)
    return out


def build(doc_texts: list[str], queries: list[str], positives: list[list[int]], bm25: BM25, k: int = 100,
          log=print, extra: list[list[int]] | None = None, weights: dict[str, float] | None = None) -> TeacherLists:
    """Candidates = BM25 top-k plus any labelled positive (and any `extra` doc, e.g. a judged
    negative) outside it, scored too with the z statistics of the top-k so the scale matches.
    Scores: sum over scorers of weight * z(score) (TEACHER_WEIGHTS by default)."""
    from .embedders import Embedder
    log = log or (lambda _msg: None)
    weights = weights or TEACHER_WEIGHTS
    log(f"teacher {weights}: BM25 top-{k} and embedder scores for {len(queries)} queries, {len(doc_texts)} docs")
    full_docs, full_scores = bm25.search(queries, bm25.n)  # every doc's BM25 score, for the positives
    cands, bms = [], []
    for i in range(len(queries)):
        rank = {int(d): r for r, d in enumerate(full_docs[i])}
        top = [int(d) for d in full_docs[i][:k]]
        more = list(dict.fromkeys(p for p in positives[i] + (extra[i] if extra else []) if rank.get(p, k) >= k))
        cand = np.array(top + more, dtype=np.int64)
        cands.append(cand)
        bms.append(np.array([full_scores[i][rank[d]] if d in rank else 0.0 for d in cand], dtype=np.float32))
    parts: dict[str, list[np.ndarray]] = {"bm25": bms}
    need = sorted({int(d) for c in cands for d in c})
    for name in (n for n, w in weights.items() if w and n != "bm25"):
        e = Embedder(name, log=log)
        D = dict(zip(need, e.embed([doc_texts[j] for j in need], "passage")))
        Q = e.embed(queries, "query")
        parts[name] = [np.array([D[int(d)] @ Q[i] for d in c], dtype=np.float32) for i, c in enumerate(cands)]
    scores = []
    for i in range(len(queries)):
        s = np.zeros(len(cands[i]), dtype=np.float32)
        for name, w in weights.items():
            if w:
                x = parts[name][i]
                s += w * (x - x[:k].mean()) / (x[:k].std() + 1e-6)
        scores.append(s.astype(np.float32))
    return TeacherLists(cands, scores)


def cached(path: Path, make) -> TeacherLists:
    if path.exists():
        z = np.load(path, allow_pickle=False)
        n = int(z["n"])
        return TeacherLists([z[f"d{i}"] for i in range(n)], [z[f"s{i}"] for i in range(n)])
    t = make()
    arrays = {f"d{i}": d for i, d in enumerate(t.docs)} | {f"s{i}": s for i, s in enumerate(t.scores)}
    np.savez(path, n=len(t.docs), **arrays)
    return t
