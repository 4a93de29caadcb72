"""The external teacher (bi-encoder + BM25 over BM25 candidates) and the training groups built on it."""
import random

import numpy as np

from mrr import teacher
from mrr.data import BM25
from mrr.train import Group, TrainConfig, sample_group

DOCS = [
    "vitamin d deficiency raises the risk of respiratory infections",
    "the stock market fell sharply on monday",
    "aircraft wing design reduces drag at high speed",
    "library catalog classification of scientific books",
    "vitamin c supplements and the common cold",
    "a recipe for tomato soup with basil",
]


def test_teacher_prefers_the_relevant_document_and_scores_missing_positives():
    bm25 = BM25(DOCS)
    # k = 3: the labelled positive of the second query (doc 2) is outside its BM25 top 3
    t = teacher.build(DOCS, ["does vitamin d prevent infections", "soup recipes"], [[0], [2]], bm25, k=3, log=None)
    d0, s0 = t.docs[0], t.scores[0]
    assert len(d0) == 3 and d0[0] == 0 and s0.argmax() == 0  # relevant doc ranked first by the fusion
    d1, s1 = t.docs[1], t.scores[1]
    assert len(d1) == 4 and d1[-1] == 2 and np.isfinite(s1).all()  # appended, scored on the top-k's scale
    assert s1[0] > s1[-1]  # the soup recipe beats aircraft wings for "soup recipes"


def test_groups_put_the_positive_first_and_never_among_negatives():
    docs = np.arange(40)
    g = Group("q", [7, 30], docs, -np.arange(40, dtype=np.float32), [str(i) for i in range(40)])
    cfg = TrainConfig(group=16)
    rng = random.Random(0)
    for _ in range(20):
        chosen, scores = sample_group(cfg, rng, g)
        assert len(chosen) == 16 and chosen[0] in (7, 30)
        assert not set(chosen[1:]) & {7, 30} and len(set(chosen)) == 16
        assert scores == [float(-d) for d in chosen]  # teacher score follows its document
        assert sum(c < 22 for c in chosen[1:]) >= 7  # half the negatives from the top 20 (+ positive)
