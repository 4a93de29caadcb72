"""Storage precision: the PyTorch model is rounded exactly as the bundle stores it (matrices
float16, the word-embedding table int8 per row with a float16 scale, LoRA factors float16; int8
bundles: mrr/int8.py, mrr/int8_storage.py, mrr/adapters_int8.py), and ONNX graphs are rewritten
to store their initializers that way."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

from .model import LORA_TARGETS, MatryoshkaReranker
from .onnx_links import links


def is_word_embedding(t: torch.Tensor | np.ndarray, vocab: int, hidden: int) -> bool:
    return tuple(t.shape) == (vocab, hidden)


def int8_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = (np.abs(w).max(1, keepdims=True) / 127.0).astype(np.float16)
    safe = np.where(scale == 0, np.float16(1), scale).astype(np.float32)
    return np.clip(np.round(w / safe), -127, 127).astype(np.int8), scale


# Bundle precisions (manifest `precision`): "float16" layer matrices (any backend), or "int8"
# layer matmul weights run by onnxruntime's integer kernels (WASM; mrr/int8.py).
PRECISIONS = ("float16", "int8")


@torch.no_grad()
def quantize_(model: MatryoshkaReranker, precision: str = "float16") -> MatryoshkaReranker:
    """Round weights to storage precision in place: matrices float16, word embeddings int8 per
    row with a float16 scale, vectors (biases, norms) float32; with precision "int8", the layer
    matmul weights then onto their int8 grid (mrr/int8.py), the word table onto 4 bits, the
    position table and the exit heads' poolers onto int8 per channel (mrr/int8_storage.py)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    cfg = model.cfg
    for p in model.parameters():
        if is_word_embedding(p, cfg.vocab_size, cfg.hidden):
            if precision == "int8":
                continue  # 4 bits, from the float values (quantize_storage_ below)
            q, s = int8_rows(p.detach().numpy())
            p.copy_(torch.from_numpy(q.astype(np.float32) * s.astype(np.float32)))
        elif p.dim() >= 2:
            p.copy_(p.half().float())
    if precision == "int8":
        from .int8 import DEFAULT_FORMAT, fake_quant_
        from .int8_storage import quantize_storage_
        fake_quant_(model, DEFAULT_FORMAT)
        quantize_storage_(model)
    return model


Stored = tuple[list[onnx.TensorProto], list[onnx.NodeProto]]  # initializers, nodes computing the matrix


def stored_f16(name: str, w: np.ndarray) -> Stored:
    """`name` as `<name>_f16` float16 and a `Cast` to float32."""
    return ([numpy_helper.from_array(w.astype(np.float16), name + "_f16")],
            [helper.make_node("Cast", [name + "_f16"], [name], to=TensorProto.FLOAT)])


def stored_scaled(name: str, q: np.ndarray, scale: np.ndarray) -> Stored:
    """`name` as `<name>_q` (integers) times `<name>_scale` (float16, broadcast): `Cast`, `Cast`, `Mul`."""
    return ([numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(scale, name + "_scale")],
            [helper.make_node("Cast", [name + "_q"], [name + "_qf"], to=TensorProto.FLOAT),
             helper.make_node("Cast", [name + "_scale"], [name + "_sf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", [name + "_qf", name + "_sf"], [name])])


def rewrite_matrices(path: Path, store: Callable[[str, np.ndarray, dict[str, list[onnx.NodeProto]]], Stored]) -> None:
    """Rewrite every float32 initializer of at least 2 dimensions of the graph at `path` as
    `store(name, value, consumers)` says (consumers: the nodes reading each tensor); the nodes
    computing the matrices come first, for onnxruntime to fold at session creation."""
    m = onnx.load(str(path))
    g = m.graph
    _, consumers = links(g.node)
    new_inits, new_nodes = [], []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or len(init.dims) < 2:
            new_inits.append(init)
            continue
        inits, nodes = store(init.name, numpy_helper.to_array(init), consumers)
        new_inits += inits
        new_nodes += nodes
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def store_compact(path: Path, vocab: int, hidden: int) -> None:
    """Rewrite float32 initializers: matrices as float16 + Cast, the word-embedding table as
    int8 + float16 row scale (Cast, Mul). onnxruntime folds these at session creation."""
    rewrite_matrices(path, lambda name, w, _consumers: stored_scaled(name, *int8_rows(w)) if is_word_embedding(w, vocab, hidden)
                     else stored_f16(name, w))


@torch.no_grad()
def round_adapters_(model: MatryoshkaReranker, precision: str = "float16") -> None:
    """fp16-round adapter factors (int8 bundles: int8 per rank component, mrr/adapters_int8.py);
    the LoRA scale (alpha/rank) must be a power of two so the folded B = fp16(B) * scale is exact."""
    if precision == "int8":
        from .adapters_int8 import round_adapters_int8_
        round_adapters_int8_(model)
        return
    for name in model.cfg.adapter_names:
        for layer in model.adapters[name]:
            for t in LORA_TARGETS:
                lora = layer[t]
                assert float(np.log2(lora.scale)).is_integer(), "lora_alpha / lora_rank must be a power of two"
                lora.A.copy_(lora.A.half().float())
                lora.B.copy_((lora.B * lora.scale).half().float() / lora.scale)
