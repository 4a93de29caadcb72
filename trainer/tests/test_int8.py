"""int8 export (mrr/int8.py, `--precision int8`): the layer graphs' weight matmuls run as
MatMulInteger with int8 weights that dequantize exactly to the PyTorch weights, LoRA products stay
float, and onnxruntime's scores match PyTorch with the int8 run-time rounding simulated."""
import json

import numpy as np
import onnx
import pytest
import torch

from mrr.data import Encoder, load_tokenizer
from mrr.evaluate import config_grid
from mrr.export import export_bundle
from mrr.int8 import GOLDEN_TOLERANCE, ROW_QUANT, fake_quant, quant_params, row_quant_activation, simulate_int8
from mrr.onnx_runner import BundleRunner
from mrr.pretrained import tokenizer_path
from mrr.tiny import TINY, tiny_model


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-int8")
    model = tiny_model()
    export_bundle(model, tokenizer_path(), out, "tiny", "random", config_grid(TINY.layers, TINY.exits), precision="int8")
    return out, model  # model now holds the int8-grid weights


def test_manifest_and_golden_record_the_precision(bundle):
    out, _ = bundle
    m = json.loads((out / "manifest.json").read_text())
    g = json.loads((out / "golden.json").read_text())
    assert m["precision"] == "int8"
    assert g["precisions"]["int8"]["tolerance"] == GOLDEN_TOLERANCE
    assert all(len(c["scoresByPrecision"]["int8"]) == len(c["scores"]) for c in g["cases"])


def test_layer_matmuls_are_int8_and_lora_stays_float(bundle):
    out, _ = bundle
    m = json.loads((out / "manifest.json").read_text())
    for lora_f, plain_f in zip(m["graphs"]["layers"], m["graphs"]["plainLayers"]):
        for f, lora_matmuls in ((lora_f, 12), (plain_f, 0)):
            g = onnx.load(str(out / f)).graph
            inits = {i.name: i for i in g.initializer}
            ops = [n.op_type for n in g.node]
            assert ops.count("MatMulInteger") == 6, f
            q = [inits[n.input[1]] for n in g.node if n.op_type == "MatMulInteger"]
            assert all(i.data_type == onnx.TensorProto.INT8 for i in q), f
            # symmetric weights: no zero point input (int8.drop_zero_points; onnxruntime's faster path)
            assert all(len(n.input) <= 3 for n in g.node if n.op_type == "MatMulInteger"), f  # x, W, x zero point
            float_w = [n for n in g.node if n.op_type == "MatMul" and n.input[1] in inits]
            assert not float_w, f  # no float weight matrix left
            # ROW_QUANT products (ffn_out): int8 weight and a scale per column, the input rounded per row
            stored = [i for i in g.initializer if i.name.endswith("_q") and i.data_type == onnx.TensorProto.INT8
                      and not i.name.startswith("head.")]  # exit heads: int8 storage too (mrr/int8_storage.py)
            assert len(stored) == len(ROW_QUANT), f
            assert tuple(stored[0].dims) == (TINY.intermediate, TINY.hidden), f  # ffn_out [in, out]
            assert ops.count("ReduceMax") == len(ROW_QUANT), f  # one scale per row
            assert ops.count("FastGelu") == 1 and "Erf" not in ops, f  # GELU: the tanh form (int8.fast_gelu)
            inputs = {i.name for i in g.input}
            lora = [n for n in g.node if n.op_type == "MatMul" and n.input[1] in inputs]
            assert len(lora) == lora_matmuls, f  # x @ A and (x A) @ B per target: A and B are graph inputs, float
    # storage: the int8 matrices take about half the float16 bytes
    n16 = sum(p.numel() * 2 for p in tiny_model().layers[0].parameters() if p.dim() >= 2)
    assert (out / m["graphs"]["layerWeights"][1]).stat().st_size < 0.65 * n16


def test_fake_quant_matches_onnxruntime_grid():
    w = np.random.default_rng(0).normal(size=(64, 48)).astype(np.float32)
    for fmt in ("u8", "s8", "u8c", "s8c"):
        fq = fake_quant(w, fmt)
        scale, _ = quant_params(w, fmt)
        assert np.abs(fq - w).max() <= scale.max() / 2 + 1e-6
        assert np.array_equal(fake_quant(fq, fmt), fq) or np.abs(fake_quant(fq, fmt) - fq).max() < 1e-6  # idempotent


def test_read_back_gives_the_exact_int8_weights(bundle):
    from mrr.bundle_import import load_bundle
    out, model = bundle
    back = load_bundle(out)  # checks its int8 golden scores, with the activation rounding simulated
    want = model.state_dict()
    for name, t in back.state_dict().items():
        assert torch.allclose(t, want[name], atol=1e-6, rtol=0), name
    from mrr.bundle_import import check_golden
    assert check_golden(back, json.loads((out / "golden.json").read_text()), "tiny", "int8") < 1e-5


def test_onnx_int8_matches_pytorch_within_tolerance(bundle):
    """onnxruntime (CPU) on the int8 graphs vs PyTorch with the int8 rounding simulated, one row per
    batch as golden.json's int8 scores are: within GOLDEN_TOLERANCE; and the int8 path really is
    quantized (it differs from float compute of the same weights by more than from the simulation)."""
    out, model = bundle
    runner = BundleRunner(out)
    enc = Encoder(load_tokenizer(out / "tokenizer.json"))
    golden = json.loads((out / "golden.json").read_text())
    worst_sim, worst_float = 0.0, 0.0
    for case in golden["cases"]:
        got = np.concatenate([runner.score(enc.pairs(case["query"], [p]), case["config"]) for p in case["passages"]])
        worst_sim = max(worst_sim, float(np.abs(got - np.array(case["scoresByPrecision"]["int8"])).max()))
        worst_float = max(worst_float, float(np.abs(got - np.array(case["scores"])).max()))
    print(f"int8 parity: max |onnx - simulated| {worst_sim:.2e}, |onnx - float| {worst_float:.2e}")
    assert worst_sim < GOLDEN_TOLERANCE
    assert worst_float > worst_sim


def test_simulation_rounds_only_inside_the_context():
    model = tiny_model()
    x = torch.randint(1000, 2000, (2, 9))
    tt = torch.zeros_like(x)
    ql, pl = torch.tensor([3, 3]), torch.tensor([3, 3])
    from mrr.model import SubArch
    a = model(x, tt, ql, pl, SubArch(TINY.layers))[TINY.layers]
    with simulate_int8(model):
        b = model(x, tt, ql, pl, SubArch(TINY.layers))[TINY.layers]
    c = model(x, tt, ql, pl, SubArch(TINY.layers))[TINY.layers]
    assert torch.equal(a, c) and not torch.equal(a, b)
    assert all(layer.gelu == "none" for layer in model.layers)  # the exact GELU back after the context


def test_hf_q8_is_the_transformersjs_recipe(bundle):
    """hf/onnx/model_quantized.onnx (transformers.js `dtype: 'q8'`): every weight product and the
    word-embedding table 8-bit, per tensor; its logits follow the float single graph."""
    import onnxruntime as ort
    out, model = bundle
    q8 = onnx.load(str(out / "hf" / "onnx" / "model_quantized.onnx")).graph
    inits = {i.name: i for i in q8.initializer}
    ops = [n.op_type for n in q8.node]
    assert ops.count("MatMulInteger") >= 6 * TINY.layers  # the layers (and the head where it is a MatMul)
    assert not [n for n in q8.node if n.op_type == "MatMul" and n.input[1] in inits]
    gathers = [n for n in q8.node if n.op_type == "Gather" and n.input[0] in inits and len(inits[n.input[0]].dims) == 2]
    word = [n for n in gathers if inits[n.input[0]].dims[0] == TINY.vocab_size]
    assert word and inits[word[0].input[0]].data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)  # 8-bit table
    scales = [i for i in q8.initializer if i.name.endswith("_scale")]
    assert scales and all(len(i.dims) == 0 for i in scales)  # per tensor
    enc = Encoder(load_tokenizer(out / "tokenizer.json"))
    from mrr.golden import GOLDEN_PASSAGES
    rows = enc.pairs("vitamin d and infections", GOLDEN_PASSAGES)
    mask = (rows.input_ids != 0).long()
    feed = {"input_ids": rows.input_ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": rows.token_type_ids.numpy()}
    run = lambda f: ort.InferenceSession(str(out / "hf" / "onnx" / f), providers=["CPUExecutionProvider"]).run(None, feed)[0][:, 0]
    full, quant = run("model.onnx"), run("model_quantized.onnx")
    assert 0 < np.abs(full - quant).max() < 0.5


def test_row_rounding_is_per_row_and_close():
    # ffn_out's input (a GELU output, >= -0.17) rounded per row: a row's value does not depend on
    # the other rows of the batch (per-tensor rounding does), and each stays within half a step
    torch.manual_seed(0)
    x = torch.nn.functional.gelu(torch.randn(3, 5, 64) * 3)
    big = x.clone()
    big[0, 0, 0] = 80.0  # an outlier token
    alone, together = row_quant_activation(x), row_quant_activation(big)
    assert torch.equal(alone[1:], together[1:]) and torch.equal(alone[0, 1:], together[0, 1:])
    step = (x + 0.17).amax(-1, keepdim=True) / 255
    assert ((alone - x).abs() <= step / 2 + 1e-6).all()
    assert not torch.equal(alone, x)
