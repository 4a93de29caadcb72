"""The dequantized twins of an int8 bundle's layer graphs (mrr/int8_dequantized.py, manifest
`graphs.dequantized`, what WebGPU runs): float products from the same int8 initializers, no
integer kernels, no extra weight bytes, and onnxruntime's scores equal PyTorch's on the int8-grid
weights without activation rounding (golden.json `scores`)."""
import json

import numpy as np
import onnx
import pytest

from mrr.data import Encoder, load_tokenizer
from mrr.evaluate import config_grid
from mrr.export import export_bundle
from mrr.int8 import GOLDEN_TOLERANCE
from mrr.int8_dequantized import float_weight_products
from mrr.onnx_runner import BundleRunner
from mrr.pretrained import tokenizer_path
from mrr.tiny import TINY, tiny_model


def _export(out, dequantized: bool):
    export_bundle(tiny_model(), tokenizer_path(), out, "tiny", "random", config_grid(TINY.layers, TINY.exits),
                  hf=False, precision="int8", dequantized=dequantized)
    return out


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    return _export(tmp_path_factory.mktemp("dq"), True), _export(tmp_path_factory.mktemp("no-dq"), False)


def test_manifest_lists_the_twins_and_hashes_them(bundles):
    with_dq, without = bundles
    m = json.loads((with_dq / "manifest.json").read_text())
    dq = m["graphs"]["dequantized"]
    assert len(dq["layers"]) == len(dq["plainLayers"]) == TINY.layers
    assert all(f in m["files"] for f in [*dq["layers"], *dq["plainLayers"]])
    assert "dequantized" not in json.loads((without / "manifest.json").read_text())["graphs"]


def test_weights_files_are_identical_with_and_without_twins(bundles):
    """One download: the twins add graphs, never weight bytes."""
    with_dq, without = bundles
    m = json.loads((with_dq / "manifest.json").read_text())
    for f in [*m["graphs"]["layerWeights"], *m["graphs"]["layers"], *m["graphs"]["plainLayers"]]:
        assert (with_dq / f).read_bytes() == (without / f).read_bytes(), f


def test_twins_compute_every_weight_product_in_float_from_the_int8_initializers(bundles):
    with_dq, _ = bundles
    m = json.loads((with_dq / "manifest.json").read_text())
    g = m["graphs"]
    for int8_f, dq_f in zip([*g["layers"], *g["plainLayers"]], [*g["dequantized"]["layers"], *g["dequantized"]["plainLayers"]]):
        twin = onnx.load(str(with_dq / dq_f), load_external_data=False).graph
        ops = [n.op_type for n in twin.node]
        assert "MatMulInteger" not in ops and "DynamicQuantizeLinear" not in ops, dq_f
        assert "Erf" in ops and "FastGelu" not in ops, dq_f  # the exact GELU, as golden.json's float scores
        # q, k, v, o, ffn_in, ffn_out, and the exit head's pooler where the layer has one (int8 storage too)
        has_head = any(o.name == "score" for o in twin.output)
        assert float_weight_products(with_dq / dq_f) == 6 + has_head, dq_f
        # every external tensor of the twin is one of the int8 graph's, at the same place in the same file
        ext = lambda graph: {i.name: tuple((e.key, e.value) for e in i.external_data) for i in graph.initializer
                             if i.data_location == onnx.TensorProto.EXTERNAL}
        int8_ext = ext(onnx.load(str(with_dq / int8_f), load_external_data=False).graph)
        twin_ext = ext(twin)
        assert twin_ext and all(int8_ext.get(k) == v for k, v in twin_ext.items()), dq_f
        # about the int8 graph's size (no doc strings, no weights inside)
        assert (with_dq / dq_f).stat().st_size <= 1.1 * (with_dq / int8_f).stat().st_size, dq_f


def test_twins_match_pytorch_float_scores_and_differ_from_int8(bundles):
    """onnxruntime (CPU) on the twins vs golden.json `scores` (PyTorch, int8-grid weights, float
    activations): within the float golden tolerance; the int8 graphs differ by far more."""
    with_dq, _ = bundles
    golden = json.loads((with_dq / "golden.json").read_text())
    enc = Encoder(load_tokenizer(with_dq / "tokenizer.json"))
    dq, int8 = BundleRunner(with_dq, dequantized=True), BundleRunner(with_dq)
    worst_dq, worst_gap, worst_plain_gap = 0.0, 0.0, 0.0
    for case in golden["cases"]:
        rows = enc.pairs(case["query"], case["passages"])
        got = dq.score(rows, case["config"])  # float compute: a batch gives the same scores as single rows
        worst_dq = max(worst_dq, float(np.abs(got - np.array(case["scores"])).max()))
        got8 = np.concatenate([int8.score(enc.pairs(case["query"], [p]), case["config"]) for p in case["passages"]])
        gap = float(np.abs(got8 - got).max())
        worst_gap = max(worst_gap, gap)
        if not any(step["adapters"] for step in case["plan"]):
            worst_plain_gap = max(worst_plain_gap, gap)
    print(f"dequantized parity: max |onnx twin - float golden| {worst_dq:.2e}; |int8 graphs - twin| {worst_gap:.2e}, "
          f"{worst_plain_gap:.2e} without adapters")
    assert worst_dq < golden["tolerance"]
    assert worst_dq < 1e-4
    assert worst_gap > 10 * golden["tolerance"]  # the int8 graphs really round activations
    # without adapters the int8 graphs stay near float compute; with them, the int8 graphs run the
    # adapters merged into the int8 weights (mrr/int8_merge.py), rounded onto the tiny model's
    # coarse weight grid, so those scores may move further (test_int8.py checks them against golden)
    assert worst_plain_gap < 3 * GOLDEN_TOLERANCE
