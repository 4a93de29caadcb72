"""Re-ranking evaluation: BM25 candidates, many configurations scored with shared work, nDCG@10.

Configurations sharing an adapter path share their layers: one full-width pass per path
(vertical off: depth = num_layers; vertical on: every shallower depth) gives every uncompressed
exit, and each compression spec resumes from the cached input of its first compression layer.
"""
from __future__ import annotations

import itertools
import time
from collections import defaultdict

import ir_measures
import torch
from ir_measures import nDCG, RR

from .data import BM25, Beir, Encoder
from .model import MatryoshkaReranker, State, SubArch


def config_grid(num_layers: int, exits: list[int], ratios=(2, 4, 8)) -> list[SubArch]:
    """The calibration table: every depth, and single-layer compression at every layer >= 2."""
    archs = [SubArch(d) for d in exits]
    for d, s, r in itertools.product(exits, range(2, num_layers + 1), ratios):
        if s <= d:
            archs.append(SubArch(d, (s,), r))
    return archs


@torch.no_grad()
def score_configs(model: MatryoshkaReranker, rows, archs: list[SubArch]) -> dict[str, torch.Tensor]:
    L = model.cfg.layers
    out: dict[str, torch.Tensor] = {}
    for vertical in (False, True):
        need = [a for a in archs if (a.depth < L) == vertical]
        if not need:
            continue
        depth = max(a.depth for a in need)
        states: list[State] = []
        # an uncompressed run of this path: vertical on iff depth < L
        scores = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, SubArch(depth), states=states)
        for a in need:
            if not a.compressed:
                out[a.name] = scores[a.depth]
        groups: dict[tuple, list[SubArch]] = defaultdict(list)
        for a in need:
            if a.compressed:
                groups[(a.compress_layers, a.ratio, a.mode)].append(a)
        for (layers, ratio, mode), members in groups.items():
            s = min(layers)
            arch = SubArch(max(a.depth for a in members), layers, ratio, mode)
            sc = model.resume(states[s - 1], s, arch, exits={a.depth for a in members})
            for a in members:
                out[a.name] = sc[a.depth]
    return out


def bm25_candidates(ds: Beir, qids: list[str], k: int, bm25: BM25 | None = None) -> dict[str, list[tuple[int, float]]]:
    bm25 = bm25 or BM25(ds.doc_texts)
    docs, scores = bm25.search([ds.queries[q] for q in qids], k)
    return {q: [(int(d), float(s)) for d, s in zip(docs[i], scores[i])] for i, q in enumerate(qids)}


def measure(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    res = ir_measures.calc_aggregate([nDCG @ 10, RR @ 10], qrels, run)
    return {"ndcg10": res[nDCG @ 10], "mrr10": res[RR @ 10]}


def evaluate(model: MatryoshkaReranker, enc: Encoder, ds: Beir, qids: list[str], archs: list[SubArch],
             k: int = 100, batch: int = 32, candidates=None, log=print) -> dict[str, dict[str, float]]:
    """nDCG@10 / MRR@10 of BM25 and of every configuration re-ranking BM25 top-k."""
    model.eval()
    cands = candidates or bm25_candidates(ds, qids, k)
    runs: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    runs["bm25"] = {q: {ds.doc_ids[d]: s for d, s in c} for q, c in cands.items()}
    t0 = time.time()
    for n, q in enumerate(qids):
        docs = [d for d, _ in cands[q]]
        per: dict[str, list[torch.Tensor]] = defaultdict(list)
        for i in range(0, len(docs), batch):
            rows = enc.pairs(ds.queries[q], [ds.doc_texts[d] for d in docs[i:i + batch]])
            for name, s in score_configs(model, rows, archs).items():
                per[name].append(s.float())
        for name, parts in per.items():
            runs[name][q] = {ds.doc_ids[d]: float(s) for d, s in zip(docs, torch.cat(parts))}
        if log and (n + 1) % 20 == 0:
            log(f"  eval {n + 1}/{len(qids)} queries, {time.time() - t0:.0f}s")
    qrels = {q: ds.qrels[q] for q in qids}
    return {name: measure(qrels, run) for name, run in runs.items()}
