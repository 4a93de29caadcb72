"""Hybrid scoring: the re-ranker's score fused with the first stage's (BM25) score.

Both lists are z-normalised over one query's candidates and summed, the first stage weighted:
    fused = z(model) + weight * z(first_stage)
Scale-free (BM25 and logits live on different scales) and parameter-free at weight 1, the
same rule as the label-free teacher's (mrr/teacher.py). The runtime mirrors it (src/fusion.ts).
"""
from __future__ import annotations

import numpy as np

STD_FLOOR = 1e-6  # a list of equal scores (or one candidate) normalises to zeros


def zscore(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    return (x - x.mean()) / max(float(x.std()), STD_FLOOR)


def fuse(model_scores, first_stage_scores, weight: float = 1.0) -> np.ndarray:
    m, f = np.asarray(model_scores), np.asarray(first_stage_scores)
    if m.shape != f.shape:
        raise ValueError(f"fuse: {m.size} model scores but {f.size} first-stage scores; give one per candidate")
    return zscore(m) + weight * zscore(f)


def fused_name(config: str, weight: float) -> str:
    """'d6' -> 'd6+bm25' (weight 1), 'd6+bm25x0.5' otherwise."""
    return f"{config}+bm25" if weight == 1 else f"{config}+bm25x{weight:g}"


def parse_fused_name(name: str) -> tuple[str, float | None]:
    """The inverse of `fused_name`: 'd6+bm25x0.5' -> ('d6', 0.5); an unfused name -> (name, None)."""
    config, fused, rest = name.partition("+bm25")
    if not fused:
        return name, None
    return config, float(rest[1:]) if rest.startswith("x") else 1.0
