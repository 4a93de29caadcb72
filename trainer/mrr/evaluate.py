"""Re-ranking evaluation: BM25 candidates, many configurations scored with shared work, nDCG@10.

Configurations sharing an adapter path share their layers: one full-width pass per path
(vertical off: depth = num_layers; vertical on: every shallower depth) gives every uncompressed
exit, and each compression spec resumes from the cached input of its first compression layer.
"""
from __future__ import annotations

import itertools
import random
import time
from collections import defaultdict

import ir_measures
import torch
from ir_measures import nDCG, RR

from .data import BM25, MAX_QUERY_TOKENS, Beir, Encoder, dev_modulus, is_dev, load_beir
from .fusion import fuse, fused_name
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
             k: int = 100, batch: int = 32, candidates=None, log=print,
             fusion: tuple[float, ...] = ()) -> dict[str, dict[str, float]]:
    """nDCG@10 / MRR@10 of BM25 and of every configuration re-ranking BM25 top-k; with `fusion`
    weights, also every configuration fused with BM25 (mrr/fusion.py), named like 'd6+bm25'."""
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
        first = [s for _, s in cands[q]]
        for name, parts in per.items():
            model_scores = torch.cat(parts).numpy()
            runs[name][q] = {ds.doc_ids[d]: float(s) for d, s in zip(docs, model_scores)}
            for w in fusion:
                runs[fused_name(name, w)][q] = {ds.doc_ids[d]: float(s) for d, s in zip(docs, fuse(model_scores, first, w))}
        if log and (n + 1) % 20 == 0:
            log(f"  eval {n + 1}/{len(qids)} queries, {time.time() - t0:.0f}s")
    qrels = {q: ds.qrels[q] for q in qids}
    return {name: measure(qrels, run) for name, run in runs.items()}


# ---- command line ----------------------------------------------------------------------------

def load_checkpoint(path: str, exported: bool = True) -> MatryoshkaReranker:
    """A trained checkpoint, rounded to the bundle's storage precision unless exported=False;
    or an exported bundle folder (already at storage precision, read back exactly)."""
    from .bundle_import import load_model
    from .precision import quantize_, round_adapters_
    from pathlib import Path
    m = load_model(path)
    if exported and not Path(path).is_dir():
        quantize_(m)
        round_adapters_(m)
    return m.eval()


def resolve_dataset(spec: str, root: str) -> tuple[str, str, str, bool]:
    """'cisi' -> (name, folder, split 'test', dev_only False); 'scifact-dev' (or any '<training
    set>-dev', e.g. 'wikiqa-dev') -> its train split, dev queries (data.dev_modulus);
    a path with ':split' also works ('/data/trec-covid:test')."""
    from pathlib import Path
    path, _, split = spec.partition(":")
    base = path.removesuffix("-dev")
    if path.endswith("-dev") and "/" not in path and (Path(root) / base / "qrels" / "train.tsv").exists():
        return path, str(Path(root) / base), "train", True
    folder = path if ("/" in path) else str(Path(root) / path)
    if not split:
        qrels = sorted(p.stem for p in (Path(folder) / "qrels").glob("*.tsv"))
        split = "test" if "test" in qrels else (qrels[0] if qrels else "test")
    return Path(folder).name, folder, split, False


def load_dataset(spec: str, root: str, max_queries: int = 0) -> tuple[str, Beir, str, list[str]]:
    """A dataset spec (resolve_dataset) -> (name, the BEIR data, split, its judged query ids:
    the dev split for '<set>-dev', all otherwise; with max_queries a fixed sample, seed 0)."""
    name, folder, split, dev_only = resolve_dataset(spec, root)
    ds = load_beir(folder, split)
    m = dev_modulus(name.removesuffix("-dev"))
    qids = sorted(q for q in ds.qrels if (is_dev(q, m) if dev_only else True))
    if max_queries and len(qids) > max_queries:
        qids = sorted(random.Random(0).sample(qids, max_queries))
    return name, ds, split, qids


def main():
    import argparse
    import json
    import sys
    from pathlib import Path
    from .data import load_tokenizer
    from .pretrained import tokenizer_path
    p = argparse.ArgumentParser(description="Re-rank BM25 candidates on BEIR folders with many configurations.")
    p.add_argument("--ckpt", required=True, help="checkpoint (.pt) or exported bundle folder")
    p.add_argument("--datasets", default="scifact-dev,adi,cisi,cranfield,medline")
    p.add_argument("--data-root", default=str(Path(__file__).resolve().parents[3] / "shared" / "datasets"))
    p.add_argument("--configs", default="exits", help="'grid' (calibration table), 'exits', or names like d6,d3,d6-c2-r4")
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--max-queries", type=int, default=0, help="0 = all; else a fixed random sample (seed 0)")
    p.add_argument("--raw", action="store_true", help="evaluate float32 training weights, not the exported rounding")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch default)")
    p.add_argument("--fusion", default="", help="BM25 fusion weights to evaluate too, e.g. '0.5,1,2' (mrr/fusion.py)")
    p.add_argument("--max-query-tokens", type=int, default=MAX_QUERY_TOKENS,
                   help="query truncation (the bundle's input.maxQueryTokens; position ids allow up to 512 - 195)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    fusion = tuple(float(w) for w in a.fusion.split(",") if w)
    if a.threads:
        torch.set_num_threads(a.threads)
    model = load_checkpoint(a.ckpt, exported=not a.raw)
    L, exits = model.cfg.layers, model.cfg.exits
    grid = config_grid(L, exits)
    if a.configs == "grid":
        archs = grid
    elif a.configs == "exits":
        archs = [SubArch(d) for d in exits]
    else:
        by_name = {g.name: g for g in grid}
        archs = [by_name[n] if n in by_name else parse_name(n) for n in a.configs.split(",")]
    enc = Encoder(load_tokenizer(tokenizer_path()), a.max_query_tokens)
    results = {}
    for spec in a.datasets.split(","):
        name, ds, split, qids = load_dataset(spec, a.data_root, a.max_queries)
        t0 = time.time()
        res = evaluate(model, enc, ds, qids, archs, k=a.k, fusion=fusion)
        results[name] = {"split": split, "queries": len(qids), "k": a.k, "seconds": round(time.time() - t0),
                         "maxQueryTokens": a.max_query_tokens,
                         "command": "python -m mrr.evaluate " + " ".join(sys.argv[1:]),
                         "results": res}
        print(f"{name}: {len(qids)} queries, bm25 {res['bm25']['ndcg10']:.4f}, "
              + ", ".join(f"{n} {r['ndcg10']:.4f}" for n, r in res.items() if n != "bm25"), flush=True)
        Path(a.out).write_text(json.dumps(results, indent=1))


def parse_name(name: str) -> SubArch:
    """'d4-c2-3-r4-mean' -> SubArch(4, (2, 3), 4, 'mean')."""
    parts = name.split("-")
    depth = int(parts[0][1:])
    if len(parts) == 1:
        return SubArch(depth)
    mode = "mean" if parts[-1] == "mean" else "attention"
    layers = tuple(int(x.removeprefix("c")) for x in parts[1:] if not x.startswith("r") and x != "mean")
    ratio = int(next(x for x in parts if x.startswith("r"))[1:])
    return SubArch(depth, layers, ratio, mode)


if __name__ == "__main__":
    main()
