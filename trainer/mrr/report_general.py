"""The general-domain claims (trainer/RESULTS.md): the model alone against BM25 and against the
label-free scorers it learnt from, on the shared collections and the QA sets' dev splits.

Inputs are mrr.evaluate files (all queries, BM25 top-100) and tools/teacher_zero_shot.py's file
(the same candidates, zero-shot): its "0,1" column is the embedder's cosine alone, its `best`
column the teacher the student was trained with. Every claim is computed, none typed.
"""
from __future__ import annotations

from .evaluate import parse_name
from .model import ModelConfig, relative_flops


def flops(name: str) -> float:
    return relative_flops(parse_name(name), ModelConfig(), 16, 192)


def zero_shot(zs: dict) -> dict[str, dict[str, float]]:
    """Per dataset: BM25, the embedder's cosine alone and the teacher (the chosen fusion)."""
    return {ds: {"queries": r["queries"], "bm25": r["ndcg10"]["1,0"], "cosine": r["ndcg10"]["0,1"],
                 "teacher": r["ndcg10"][zs["best"]]} for ds, r in zs["datasets"].items()}


def models_of(ev: dict) -> list[str]:
    """The configurations an evaluation file holds, model alone only, deepest first."""
    names = [n for n in next(iter(ev.values()))["results"] if n != "bm25" and "+" not in n]
    return sorted(names, key=lambda n: -flops(n))


def table(ev: dict, zs: dict | None) -> list[str]:
    """dataset | queries | BM25 | cosine | teacher | each configuration (FLOPs) | d6+bm25."""
    z = zero_shot(zs) if zs else {}
    names = models_of(ev)
    fused = [n for n in next(iter(ev.values()))["results"] if n.startswith("d6+")]
    head = ["dataset", "queries", "BM25", "cosine (zero-shot)", "teacher (zero-shot)",
            *(f"{n} ({flops(n):.2f})" for n in names), *fused]
    rows = []
    for ds, r in ev.items():
        zr = z.get(ds)
        same = zr is not None and zr["queries"] == r["queries"]
        zcol = [f"{zr['cosine']:.4f}", f"{zr['teacher']:.4f}"] if same else ["–", "–"]
        rows.append([ds, str(r["queries"]), f"{r['results']['bm25']['ndcg10']:.4f}", *zcol,
                     *(f"{r['results'][c]['ndcg10']:.4f}" for c in [*names, *fused])])
    return ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1),
            *("| " + " | ".join(r) + " |" for r in rows)]


def _nd(r: dict, c: str) -> float:
    return r["results"][c]["ndcg10"]


def claims(collections: dict | None, qa: dict | None, zs: dict | None) -> list[str]:
    """The issue's must-show lines, each computed and marked held / NOT held."""
    out: list[str] = []
    mark = lambda ok: "holds" if ok else "does NOT hold"  # noqa: E731
    if collections:
        lost = [ds for ds, r in collections.items() if not _nd(r, "d6") > _nd(r, "bm25")]
        out.append(f"* Shared collections (all queries, BM25 top-100): d6 alone beats BM25 on "
                   f"{len(collections) - len(lost)} of {len(collections)}" + (f" (NOT on {', '.join(lost)})" if lost else "")
                   + f": {mark(not lost)}.")
        for n in models_of(collections):
            if n == "d6" or round(flops(n), 2) > 0.5:
                continue
            ratio = sum(_nd(r, n) / _nd(r, "d6") for r in collections.values()) / len(collections)
            wins = sum(_nd(r, n) > _nd(r, "bm25") for r in collections.values())
            out.append(f"  * {n} ({flops(n):.2f} FLOPs): {ratio:.3f} of d6 alone on average (>= 0.97: "
                       f"{mark(ratio >= 0.97)}); beats BM25 on {wins} of {len(collections)} (>= 4: {mark(wins >= 4)}).")
    if qa:
        z = zero_shot(zs) if zs else {}
        lost = [ds for ds, r in qa.items() if not _nd(r, "d6") > _nd(r, "bm25")]
        out.append(f"* QA dev splits: d6 alone beats BM25 on {len(qa) - len(lost)} of {len(qa)}"
                   + (f" (NOT on {', '.join(lost)})" if lost else "") + f": {mark(not lost)}.")
        comparable = {ds: r for ds, r in qa.items() if ds in z and z[ds]["queries"] == r["queries"]}
        if comparable:
            below = [f"{ds} {_nd(r, 'd6'):.4f} < {z[ds]['cosine']:.4f}" for ds, r in comparable.items()
                     if _nd(r, "d6") < z[ds]["cosine"]]
            out.append(f"* QA dev splits: d6 alone at least matches the embedder's cosine alone on "
                       f"{len(comparable) - len(below)} of {len(comparable)}" + (f" (NOT: {'; '.join(below)})" if below else "")
                       + f": {mark(not below)}.")
    return out
