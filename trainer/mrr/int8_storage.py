"""Compact storage of an int8 bundle's weights outside the integer kernels (docs/bundle-format.md,
"int8 layers"): what float16 bundles store as float16 (position and token-type tables, the exit
heads' pooler and classifier) is stored int8, symmetric, with a float16 scale per output channel,
and the word table at 4 bits (mrr/int4.py). Compute stays float: `Cast` + `Mul` nodes that
onnxruntime folds at session creation.

Both sides round alike: `quantize_storage_(model)` puts the PyTorch weights on the grid, and
`store_compact_int8(graph)` stores each graph's float matrices on the same grid; storing refuses a
matrix that does not come back exactly, so golden.json and evaluations describe what runs.

Output channel: a row of an embedding table (consumed by `Gather`), a column of a `MatMul`
weight ([in, out], the exit heads after onnxruntime's quantizer transposed their `Gemm`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

from .int4 import GROUP, fake_quant_int4, int4_initializers_and_nodes

QMAX = 127


def int8_channels(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """w [R, C] -> (q int8 [R, C], scale float16): one scale per slice along `axis` (0: per row,
    scale [R, 1]; 1: per column, scale [1, C]). Symmetric, q in [-127, 127]."""
    other = 1 - axis
    scale = (np.abs(w.astype(np.float32)).max(other, keepdims=True) / np.float32(QMAX)).astype(np.float16)
    safe = np.where(scale == 0, np.float16(1), scale).astype(np.float32)
    return np.clip(np.round(w / safe), -QMAX, QMAX).astype(np.int8), scale


def fake_quant_int8(w: np.ndarray, axis: int) -> np.ndarray:
    q, s = int8_channels(w, axis)
    return q.astype(np.float32) * s.astype(np.float32)


@torch.no_grad()
def quantize_storage_(model) -> None:
    """The PyTorch side: word table to 4 bits (per group of GROUP along hidden), position and
    token-type tables per row, exit-head weights (nn.Linear [out, in]) per output channel."""
    emb = model.embeddings
    emb.word.weight.copy_(torch.from_numpy(fake_quant_int4(emb.word.weight.numpy(), GROUP)))
    for table in (emb.position.weight, emb.token_type.weight):
        table.copy_(torch.from_numpy(fake_quant_int8(table.numpy(), 0)))
    for head in model.heads.values():
        for lin in (head.pooler, head.classifier):
            lin.weight.copy_(torch.from_numpy(fake_quant_int8(lin.weight.numpy(), 0)))


def _channel_axis(name: str, consumers: dict[str, list[onnx.NodeProto]], where: str) -> int:
    ops = {(n.op_type, list(n.input).index(name)) for n in consumers.get(name, [])}
    if ops == {("Gather", 0)}:
        return 0
    if ops == {("MatMul", 1)}:
        return 1
    raise ValueError(f"{where}: matrix {name} is used by {sorted(ops)}; int8 storage knows embedding tables "
                     "(Gather) and MatMul weights only (mrr/int8_storage.py)")


def _exact(name: str, got: np.ndarray, want: np.ndarray, where: str) -> None:
    if not np.array_equal(got, want):
        raise ValueError(f"{where}: {name} is not on its storage grid (max diff {np.abs(got - want).max():.3e}); "
                         "round the model with precision.quantize_(model, 'int8') before exporting")


def store_compact_int8(path: Path, vocab: int, hidden: int) -> None:
    """Rewrite the float32 matrices of an int8 bundle's graph (embeddings, or a layer graph after
    mrr/int8.py quantized its weight products): the word table [vocab, hidden] as 4 bits, every
    other matrix int8 per output channel (`<name>_q` int8, `<name>_scale` float16, broadcasting
    along the channel axis) with `Cast`, `Cast`, `Mul` computing `<name>`."""
    m = onnx.load(str(path))
    g = m.graph
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    new_inits, new_nodes = [], []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or len(init.dims) < 2:
            new_inits.append(init)
            continue
        w = numpy_helper.to_array(init)
        name = init.name
        if tuple(w.shape) == (vocab, hidden):
            _exact(name, fake_quant_int4(w, GROUP), w, str(path))
            inits, nodes = int4_initializers_and_nodes(name, w, GROUP)
            new_inits += inits
            new_nodes += nodes
            continue
        axis = _channel_axis(name, consumers, str(path))
        q, s = int8_channels(w, axis)
        _exact(name, q.astype(np.float32) * s.astype(np.float32), w, str(path))
        new_inits += [numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(s, name + "_scale")]
        new_nodes += [helper.make_node("Cast", [name + "_q"], [name + "_qf"], to=TensorProto.FLOAT),
                      helper.make_node("Cast", [name + "_scale"], [name + "_sf"], to=TensorProto.FLOAT),
                      helper.make_node("Mul", [name + "_qf", name + "_sf"], [name])]
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
