"""Export round trip: onnxruntime layer by layer vs PyTorch, and the single HF graph."""
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mrr.data import Encoder, load_tokenizer
from mrr.evaluate import config_grid
from mrr.export import GOLDEN_PASSAGES, export_bundle
from mrr.model import SubArch
from mrr.onnx_runner import BundleRunner
from mrr.pretrained import tokenizer_path
from mrr.tiny import TINY, tiny_model


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    model = tiny_model()
    export_bundle(model, tokenizer_path(), out, "tiny", "random", config_grid(TINY.layers, TINY.exits))
    return out, model  # model is now rounded to storage precision


def test_manifest_lists_every_file(bundle):
    out, _ = bundle
    m = json.loads((out / "manifest.json").read_text())
    files = [m["graphs"]["embeddings"], m["graphs"]["compress"], *m["graphs"]["layers"], m["adapters"]["file"],
             m["golden"], m["input"]["tokenizer"], "hf/onnx/model.onnx", "hf/config.json"]
    assert all((out / f).exists() for f in files)
    assert len(m["graphs"]["layers"]) == TINY.layers and m["exits"] == [2, 3, 4]
    assert m["configurations"][0]["flopsRatio"] < 1 and len(m["goldenConfigs"]) >= 10


def test_onnx_matches_pytorch_for_every_golden_config(bundle):
    out, model = bundle
    runner = BundleRunner(out)
    enc = Encoder(load_tokenizer(out / "tokenizer.json"))
    golden = json.loads((out / "golden.json").read_text())
    worst = 0.0
    for case in golden["cases"]:
        rows = enc.pairs(case["query"], case["passages"])
        assert [rows.input_ids[b, : q + p + 3].tolist() for b, (q, p) in enumerate(zip(case["qLens"], case["pLens"]))] == case["inputIds"]
        got = runner.score(rows, case["config"])
        worst = max(worst, float(np.abs(got - np.array(case["scores"])).max()))
    assert worst < 1e-4, worst
    assert golden["cases"][0]["truncated"][3] is True  # the long passage is cut and flagged


def test_hf_single_graph_equals_full_configuration(bundle):
    out, model = bundle
    enc = Encoder(load_tokenizer(out / "tokenizer.json"))
    rows = enc.pairs("vitamin d and infections", GOLDEN_PASSAGES)
    with torch.no_grad():
        ours = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, SubArch(TINY.layers))[TINY.layers]
    sess = ort.InferenceSession(str(out / "hf" / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    mask = (rows.input_ids != 0).long()
    mask[:, 0] = 1
    logits = sess.run(None, {"input_ids": rows.input_ids.numpy(), "attention_mask": mask.numpy(),
                             "token_type_ids": rows.token_type_ids.numpy()})[0][:, 0]
    assert np.abs(logits - ours.numpy()).max() < 1e-4


def test_compact_storage_is_smaller_than_float32(bundle):
    out, _ = bundle
    n_params = sum(p.numel() for n, p in tiny_model().named_parameters() if not n.startswith("adapters"))
    onnx_bytes = sum(f.stat().st_size for f in out.glob("*.onnx"))
    assert onnx_bytes < 0.6 * n_params * 4
