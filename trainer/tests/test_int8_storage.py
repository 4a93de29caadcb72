"""int8 bundles' compact storage (mrr/int4.py, mrr/int8_storage.py, mrr/adapters_int8.py): the word
table at 4 bits, the other matrices and the LoRA factors int8 with a float16 scale per channel;
onnxruntime folds the unpacking into exactly the PyTorch table, and the bytes shrink."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper, TensorProto
from safetensors.numpy import load_file

from mrr.evaluate import config_grid
from mrr.export import export_bundle
from mrr.int4 import QMAX, fake_quant_int4, int4_groups, pack_nibbles, unpack_nibbles
from mrr.int8_storage import fake_quant_int8, store_compact_int8
from mrr.pretrained import tokenizer_path
from mrr.tiny import TINY, tiny_model


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-int8-storage")
    model = tiny_model()
    export_bundle(model, tokenizer_path(), out, "tiny", "random", config_grid(TINY.layers, TINY.exits), hf=False,
                  precision="int8")
    return out, model  # model now holds the stored weights


def test_int4_rounding_is_symmetric_packed_and_idempotent():
    w = (np.random.default_rng(0).standard_t(4, size=(50, 64)) * 0.05).astype(np.float32)
    q, scale = int4_groups(w)
    assert q.min() >= -QMAX and q.max() <= QMAX and scale.dtype == np.float16
    assert np.array_equal(unpack_nibbles(pack_nibbles(q)), q)
    assert pack_nibbles(q).nbytes == w.size // 2
    fq = fake_quant_int4(w)
    assert np.array_equal(fake_quant_int4(fq), fq)  # what PyTorch holds is stored as is
    absmax_only = (np.clip(np.round(w / (np.abs(w).max(1, keepdims=True) / QMAX)), -QMAX, QMAX)
                   * np.abs(w).max(1, keepdims=True) / QMAX)
    assert np.linalg.norm(fq - w) < np.linalg.norm(absmax_only - w)  # the clipping search helps


def test_word_table_folds_to_the_pytorch_table_exactly(bundle, tmp_path):
    """onnxruntime (basic optimization, as the runtime creates the embeddings session) folds the
    4-bit unpacking away; the folded table, read as a graph output, is the PyTorch table bit for bit."""
    out, model = bundle
    m = onnx.load(str(out / "embeddings.onnx"))
    ops = {n.op_type for n in m.graph.node}
    assert {"BitShift", "Mod", "Concat"} <= ops
    word = [i for i in m.graph.initializer if i.name.endswith("_q4")]
    assert len(word) == 1 and word[0].data_type == TensorProto.UINT8
    assert int(np.prod(word[0].dims)) == TINY.vocab_size * TINY.hidden // 2
    # the unpacked table: what the Gather of input_ids reads (int8 graphs are stripped of long names)
    name = next(n.input[0] for n in m.graph.node if n.op_type == "Gather" and n.input[1] == "input_ids")
    m.graph.output.append(onnx.helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    onnx.save(m, str(tmp_path / "e.onnx"))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    s = ort.InferenceSession(str(tmp_path / "e.onnx"), so, providers=["CPUExecutionProvider"])
    ids = np.array([[101, 7592, 102]], np.int64)
    table = s.run([name], {"input_ids": ids, "token_type_ids": ids * 0, "position_ids": np.arange(3)[None]})[0]
    assert np.array_equal(table, model.embeddings.word.weight.detach().numpy())
    folded = {n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node}
    assert not folded & {"BitShift", "Mod", "Concat"}, folded


def test_pooler_and_position_table_are_int8_per_channel_small_matrices_float16(bundle):
    out, model = bundle
    m = json.loads((out / "manifest.json").read_text())
    emb = {i.name: i for i in onnx.load(str(out / "embeddings.onnx")).graph.initializer}
    assert emb["emb.position.weight_q"].data_type == TensorProto.INT8
    assert list(emb["emb.position.weight_scale"].dims) == [1, TINY.hidden]  # per column (hidden dimension)
    assert emb["emb.token_type.weight_f16"].data_type == TensorProto.FLOAT16  # < MIN_INT8_ELEMENTS
    for l in TINY.exits:
        inits = {i.name: i for i in onnx.load(str(out / m["graphs"]["layers"][l - 1])).graph.initializer}
        assert inits["head.pooler.weight_Transposed_q"].data_type == TensorProto.INT8
        assert list(inits["head.pooler.weight_Transposed_scale"].dims) == [1, TINY.hidden]  # per output column
        assert inits["head.classifier.weight_Transposed_f16"].data_type == TensorProto.FLOAT16
    w = model.heads[str(TINY.exits[0])].pooler.weight.detach().numpy()
    assert np.array_equal(fake_quant_int8(w, 0), w)


def test_adapters_are_int8_with_a_scale_per_rank_component(bundle):
    out, model = bundle
    m = json.loads((out / "manifest.json").read_text())
    assert m["adapters"]["dtype"] == "int8"
    raw = load_file(str(out / "adapters.safetensors"))
    a, b = raw["vertical.2.ffn_in.a"], raw["vertical.2.ffn_in.b"]
    assert a.dtype == np.int8 and b.dtype == np.int8
    assert raw["vertical.2.ffn_in.a.scale"].shape == (1, TINY.lora_rank)
    assert raw["vertical.2.ffn_in.b.scale"].shape == (TINY.lora_rank, 1)
    lora = model.adapters["vertical"][1]["ffn_in"]
    want_a, want_b = (f.detach().numpy() for f in lora.factors())
    assert np.array_equal(a.astype(np.float32) * raw["vertical.2.ffn_in.a.scale"].astype(np.float32), want_a)
    assert np.array_equal(b.astype(np.float32) * raw["vertical.2.ffn_in.b.scale"].astype(np.float32), want_b)


def test_storage_refuses_a_matrix_off_its_grid(bundle, tmp_path):
    out, _ = bundle
    src = onnx.load(str(out / "embeddings.onnx"))
    g = onnx.helper.make_graph(
        [onnx.helper.make_node("Gather", ["table", "ids"], ["y"])], "g",
        [onnx.helper.make_tensor_value_info("ids", TensorProto.INT64, [2])],
        [onnx.helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.81]], np.float32), "table")])
    path = tmp_path / "g.onnx"
    onnx.save(onnx.helper.make_model(g, opset_imports=src.opset_import, ir_version=src.ir_version), str(path))
    with pytest.raises(ValueError, match="not on its storage grid"):
        store_compact_int8(path, TINY.vocab_size, TINY.hidden)


def test_word_table_and_adapters_take_half_and_one_byte_per_value(bundle):
    out, _ = bundle
    assert (out / "embeddings.onnx").stat().st_size < 0.6 * TINY.vocab_size * TINY.hidden
    n16 = sum(p.numel() * 2 for n, p in tiny_model().named_parameters() if n.startswith("adapters.") and p.dim() >= 2)
    data = sum(t.nbytes for t in load_file(str(out / "adapters.safetensors")).values())  # the tiny file is mostly header
    assert data < 0.65 * n16


def test_stripped_graphs_compute_the_same(tmp_path):
    # strip_graph drops shape annotations and names only: same outputs, fewer bytes
    from mrr.int8_storage import strip_graph
    m = tiny_model()
    x = (torch.randn(2, 5, TINY.hidden), torch.ones(2, 5), torch.arange(5))
    from mrr.onnx_graphs import LayerGraph, _export
    _export(LayerGraph(m.layers[1], m.heads[str(2)] if str(2) in m.heads else None), x, tmp_path / "l.onnx",
            ["hidden", "mask", "keep"], ["hidden_out", "cls_attn"], {"hidden": {0: "B", 1: "T"}, "mask": {0: "B", 1: "T"}, "keep": {0: "R"}})
    feeds = {"hidden": x[0].numpy(), "mask": x[1].numpy(), "keep": x[2].numpy()}
    before = ort.InferenceSession(str(tmp_path / "l.onnx"), providers=["CPUExecutionProvider"]).run(None, feeds)
    assert strip_graph(tmp_path / "l.onnx") > 0
    after = ort.InferenceSession(str(tmp_path / "l.onnx"), providers=["CPUExecutionProvider"]).run(None, feeds)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert not onnx.load(str(tmp_path / "l.onnx")).graph.value_info
