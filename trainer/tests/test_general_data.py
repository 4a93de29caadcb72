"""General-domain training data: judged negatives kept apart from relevance, the QA dev split,
groups that carry judged negatives, and sources sampled evenly."""
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mrr.data import QA_DEV_MODULUS, dev_modulus, is_dev, load_beir, load_negatives
from mrr.evaluate import resolve_dataset
from mrr.train import Group, TrainConfig, draw_group, sample_group


def write_beir(root: Path, negatives: str | None) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(f'{{"_id": "d{i}", "title": "", "text": "text {i}"}}\n' for i in range(5)))
    (root / "queries.jsonl").write_text('{"_id": "q1", "text": "a question"}\n')
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td0\t1\n")
    if negatives is not None:
        (root / "qrels" / "train_negatives.tsv").write_text("query-id\tcorpus-id\tscore\n" + negatives)
    return root


def test_judged_negatives_are_never_read_as_relevant(tmp_path):
    folder = write_beir(tmp_path / "qa", "q1\td3\t0\nq1\td4\t0\n")
    ds = load_beir(folder, "train")
    assert ds.qrels == {"q1": {"d0": 1}}  # load_beir reads train.tsv only
    assert load_negatives(folder, "train") == {"q1": ["d3", "d4"]}
    assert load_negatives(write_beir(tmp_path / "none", None), "train") == {}


def test_a_negatives_file_with_a_relevant_row_is_refused(tmp_path):
    folder = write_beir(tmp_path / "bad", "q1\td3\t1\n")
    with pytest.raises(ValueError, match="score-0 rows only"):
        load_negatives(folder, "train")


def test_qa_dev_split_holds_out_a_fifth_by_query_id():
    ids = [f"wikiqa-train-q{i}" for i in range(5000)]
    share = sum(is_dev(q, QA_DEV_MODULUS) for q in ids) / len(ids)
    assert 0.18 < share < 0.22
    assert dev_modulus("scifact") == 8 and dev_modulus("wikiqa") == QA_DEV_MODULUS
    assert is_dev("a", 8) == is_dev("a")  # scifact's documented rule is unchanged


def test_dataset_specs_name_dev_splits_of_any_training_set(tmp_path):
    write_beir(tmp_path / "wikiqa", None)
    name, folder, split, dev_only = resolve_dataset("wikiqa-dev", str(tmp_path))
    assert (name, Path(folder).name, split, dev_only) == ("wikiqa-dev", "wikiqa", "train", True)
    assert resolve_dataset("scifact-dev", str(tmp_path))[3] is False  # no scifact folder here: not a dev spec


def test_groups_include_judged_negatives_first_and_never_a_positive():
    docs = np.arange(60)
    g = Group("q", [5], docs, np.zeros(60, np.float32), [str(i) for i in range(60)], negatives=(40, 41, 42, 5))
    cfg = TrainConfig(group=16, judged_negatives=2)
    rng = random.Random(1)
    for _ in range(30):
        chosen, _ = sample_group(cfg, rng, g)
        assert chosen[0] == 5 and len(chosen) == 16 and len(set(chosen)) == 16
        assert len({40, 41, 42} & set(chosen[1:3])) == 2  # two judged negatives, never the positive
        assert 5 not in chosen[1:]


def test_sources_are_drawn_evenly_whatever_their_size():
    big = [Group(f"big{i}", [0], np.arange(30), np.zeros(30, np.float32), ["t"] * 30) for i in range(1000)]
    small = [Group("small", [0], np.arange(30), np.zeros(30, np.float32), ["t"] * 30)]
    rng = random.Random(0)
    seen = Counter(draw_group(rng, [big, small]).query == "small" for _ in range(2000))
    assert 900 < seen[True] < 1100  # half from the one-group source, not 1 in 1001


def test_each_stage_has_one_loss_that_trains_only_its_parameters():
    import torch
    from mrr.data import build_rows
    from mrr.tiny import tiny_model
    from mrr.train import STAGE_LOSS, param_groups
    q_per, group = 2, 4
    rows = build_rows([[1000 + i for i in range(3)]] * (q_per * group), [[3000 + j + i for j in range(12)] for i in range(q_per * group)])
    ext = torch.randn(q_per, group)
    assert set(STAGE_LOSS) == {"naive", "distill", "compensate"}
    for stage, fn in STAGE_LOSS.items():
        cfg = TrainConfig(stage=stage, queries_per_step=q_per, group=group)
        model = tiny_model(adapters=False).train()
        groups = param_groups(cfg, model)
        loss, logs = fn(cfg, model, rows, ext, random.Random(0))
        assert torch.isfinite(loss) and loss.ndim == 0, stage
        loss.backward()
        trained = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        assert trained, stage
        assert all(n.startswith("adapters.") == (stage == "compensate") for n in trained), stage
        assert sum(len(g["params"]) for g in groups) > 0
