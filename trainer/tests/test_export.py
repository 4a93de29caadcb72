"""Export round trip: onnxruntime layer by layer vs PyTorch, and the single HF graph."""
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mrr.data import Encoder, load_tokenizer
from mrr.evaluate import config_grid
from mrr.export import export_bundle
from mrr.golden import GOLDEN_PASSAGES, arch_from_json, plan_json
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
    g = m["graphs"]
    files = [g["embeddings"], g["compress"], *g["layers"], *g["plainLayers"], *g["layerWeights"], m["adapters"]["file"],
             m["golden"], m["input"]["tokenizer"], "hf/onnx/model.onnx", "hf/config.json"]
    assert all((out / f).exists() for f in files)
    assert len(m["graphs"]["layers"]) == TINY.layers and m["exits"] == [2, 3, 4]
    assert m["configurations"][0]["flopsRatio"] < 1 and len(m["goldenConfigs"]) >= 10


def test_manifest_has_size_and_sha256_of_every_runtime_file(bundle):
    import hashlib
    out, _ = bundle
    m = json.loads((out / "manifest.json").read_text())
    g = m["graphs"]
    runtime = [m["input"]["tokenizer"], m["input"]["tokenizerConfig"], g["embeddings"], *g["layerWeights"], *g["layers"],
               *g["plainLayers"], g["compress"], m["adapters"]["file"], m["golden"]]
    assert sorted(m["files"]) == sorted(runtime)
    for f, e in m["files"].items():
        data = (out / f).read_bytes()
        assert e == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, f


def test_onnx_matches_pytorch_for_every_golden_config(bundle):
    out, model = bundle
    runner = BundleRunner(out)
    enc = Encoder(load_tokenizer(out / "tokenizer.json"))
    golden = json.loads((out / "golden.json").read_text())
    worst = 0.0
    for case in golden["cases"]:
        rows = enc.pairs(case["query"], case["passages"])
        assert [rows.input_ids[b, : q + p + 3].tolist() for b, (q, p) in enumerate(zip(case["qLens"], case["pLens"]))] == case["inputIds"]
        assert case["plan"] == plan_json(arch_from_json(case["config"]), TINY)  # what the runner below ran
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
    onnx_bytes = sum(f.stat().st_size for f in [*out.glob("*.onnx"), *out.glob("*.weights")])
    assert onnx_bytes < 0.6 * n_params * 4


def test_plain_and_lora_graphs_share_one_copy_of_the_weights(bundle):
    """Each layer's LoRA graph and its LoRA-free twin read the same external-data file, which holds
    every weight matrix once; with no adapter active the two give the same outputs."""
    import onnx
    out, _ = bundle
    m = json.loads((out / "manifest.json").read_text())
    g = m["graphs"]
    d_in = {t: v[0] for t, v in m["adapters"]["targets"].items()}
    d_out = {t: v[1] for t, v in m["adapters"]["targets"].items()}
    for lora_f, plain_f, weights_f in zip(g["layers"], g["plainLayers"], g["layerWeights"]):
        ext = lambda f: {(i.name, e.value) for i in onnx.load(str(out / f), load_external_data=False).graph.initializer
                         for e in i.external_data if e.key == "offset"}
        offsets_lora = {o for _, o in ext(lora_f)}
        offsets_plain = {o for _, o in ext(plain_f)}
        assert offsets_plain and offsets_plain <= offsets_lora  # the plain twin adds no bytes
        big = sum(p.numel() * 2 for p in tiny_model().layers[0].parameters() if p.dim() >= 2)  # fp16 matrices
        assert (out / weights_f).stat().st_size < big * 1.2
        x = np.random.default_rng(0).normal(size=(2, 5, TINY.hidden)).astype(np.float32)
        mask = np.ones((2, 5), np.float32)
        keep = np.arange(5, dtype=np.int64)
        zeros = {}
        for t in d_in:
            zeros[f"lora_{t}_a"] = np.zeros((d_in[t], 1), np.float32)
            zeros[f"lora_{t}_b"] = np.zeros((1, d_out[t]), np.float32)
        a = ort.InferenceSession(str(out / lora_f), providers=["CPUExecutionProvider"]).run(None, {"hidden": x, "mask": mask, "keep": keep, **zeros})
        b = ort.InferenceSession(str(out / plain_f), providers=["CPUExecutionProvider"]).run(None, {"hidden": x, "mask": mask, "keep": keep})
        assert len(a) == len(b) and all(np.abs(u - v).max() < 1e-6 for u, v in zip(a, b))


def test_bundle_reads_back_into_the_same_model(bundle):
    """mrr.bundle_import inverts the export: same tensors, same scores for every golden config;
    a bundle whose golden scores it cannot reproduce is refused."""
    from mrr.bundle_import import check_golden, load_bundle
    out, model = bundle
    back = load_bundle(out)
    golden = json.loads((out / "golden.json").read_text())
    golden["cases"][0]["scores"][0] += 0.1
    with pytest.raises(ValueError, match="golden scores differ"):
        check_golden(back, golden, "tampered")
    want = model.state_dict()
    for name, t in back.state_dict().items():
        assert torch.allclose(t, want[name], atol=1e-6, rtol=0), name
    assert check_golden(back, json.loads((out / "golden.json").read_text()), "tiny") < 1e-5
