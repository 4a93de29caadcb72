"""Compact storage of an int8 bundle's weights outside the integer kernels (docs/bundle-format.md,
"int8 layers"): what float16 bundles store as float16 is stored int8, symmetric, with a float16
scale per channel when it has at least MIN_INT8_ELEMENTS values (the position table, the exit
heads' pooler), and the word table at 4 bits (mrr/int4.py). Compute stays float: `Cast` + `Mul`
nodes that onnxruntime folds at session creation.

Both sides round alike: `quantize_storage_(model)` puts the PyTorch weights on the grid, and
`store_compact_int8(graph)` stores each graph's float matrices on the same grid; storing refuses a
matrix that does not come back exactly, so golden.json and evaluations describe what runs.

Channel: a column, i.e. a hidden dimension of an embedding table (consumed by `Gather`; per row,
the [CLS] position's row, whose one outlier value is 26x the table's median column maximum,
would be rounded 26x coarser than per column: -0.005 nDCG@10 at d6 on scifact-dev, 51 queries) and an output
column of a `MatMul` weight ([in, out], the exit heads after onnxruntime's quantizer transposed
their `Gemm`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from .int4 import GROUP, fake_quant_int4, int4_initializers_and_nodes
from .precision import Stored, rewrite_matrices, stored_f16, stored_scaled

QMAX = 127
# smaller matrices (the token-type table, the exit heads' classifier) stay float16: a few KB, and
# the token-type rows shift every token (int8 per row: 3.4% error; -0.005 to -0.010 nDCG@10 at d6
# on scifact-dev, 51 queries, against float16)
MIN_INT8_ELEMENTS = 1024


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
    """The PyTorch side (after float16 rounding): word table to 4 bits (mrr/int4.py), the position
    and token-type tables ([rows, hidden]) per column and the exit-head weights (nn.Linear
    [out, in]) per output channel where they have at least MIN_INT8_ELEMENTS values."""
    emb = model.embeddings
    emb.word.weight.copy_(torch.from_numpy(fake_quant_int4(emb.word.weight.numpy(), GROUP)))
    mats = [(emb.position.weight, 1), (emb.token_type.weight, 1)]
    mats += [(lin.weight, 0) for head in model.heads.values() for lin in (head.pooler, head.classifier)]
    for w, axis in mats:
        if w.numel() >= MIN_INT8_ELEMENTS:
            w.copy_(torch.from_numpy(fake_quant_int8(w.numpy(), axis)))


def _channel_axis(name: str, consumers: dict[str, list[onnx.NodeProto]], where: str) -> int:
    ops = {(n.op_type, list(n.input).index(name)) for n in consumers.get(name, [])}
    if ops in ({("Gather", 0)}, {("MatMul", 1)}):
        return 1  # a table's hidden dimension, a weight's output column
    raise ValueError(f"{where}: matrix {name} is used by {sorted(ops)}; int8 storage knows embedding tables "
                     "(Gather) and MatMul weights only (mrr/int8_storage.py)")


def _exact(name: str, got: np.ndarray, want: np.ndarray, where: str) -> None:
    if not np.array_equal(got, want):
        raise ValueError(f"{where}: {name} is not on its storage grid (max diff {np.abs(got - want).max():.3e}); "
                         "round the model with precision.quantize_(model, 'int8') before exporting")


def store_compact_int8(path: Path, vocab: int, hidden: int) -> None:
    """Rewrite the float32 matrices of an int8 bundle's graph (embeddings, or a layer graph after
    mrr/int8.py quantized its weight products): the word table [vocab, hidden] as 4 bits, every
    other matrix of at least MIN_INT8_ELEMENTS values int8 per column (`<name>_q` int8,
    `<name>_scale` float16 [1, columns]) with `Cast`, `Cast`, `Mul`
    computing `<name>`, smaller ones float16 (`<name>_f16`, `Cast`) as in float16 bundles."""
    where = str(path)

    def store(name: str, w: np.ndarray, consumers: dict[str, list[onnx.NodeProto]]) -> Stored:
        if tuple(w.shape) == (vocab, hidden):
            _exact(name, fake_quant_int4(w, GROUP), w, where)
            return int4_initializers_and_nodes(name, w, GROUP)
        if w.size < MIN_INT8_ELEMENTS:
            _exact(name, w.astype(np.float16).astype(np.float32), w, where)
            return stored_f16(name, w)
        q, s = int8_channels(w, _channel_axis(name, consumers, where))
        _exact(name, q.astype(np.float32) * s.astype(np.float32), w, where)
        return stored_scaled(name, q, s)

    rewrite_matrices(path, store)


def strip_graph(path: Path) -> int:
    """Shrink a graph file without changing what it computes (int8 bundles' byte budget): drop
    `value_info` (shape annotations onnxruntime re-infers), node names and doc strings, and rename
    the intermediate tensors `t0, t1, ...`. Graph inputs, outputs, initializers and the outputs of
    `Identity` nodes (the exporter's aliases of shared initializers, read back by
    mrr/bundle_import.py) keep their names. Returns the bytes saved."""
    m = onnx.load(str(path), load_external_data=False)
    before = path.stat().st_size
    g = m.graph
    keep = {i.name for i in g.input} | {o.name for o in g.output} | {i.name for i in g.initializer}
    keep |= {o for n in g.node if n.op_type == "Identity" for o in n.output}
    names: dict[str, str] = {}
    for n in g.node:
        for o in n.output:
            if o and o not in keep:
                names[o] = f"t{len(names)}"
    del g.value_info[:]
    g.doc_string = m.doc_string = ""
    for n in g.node:
        n.name = n.doc_string = ""
        for i, x in enumerate(n.input):
            n.input[i] = names.get(x, x)
        for i, x in enumerate(n.output):
            n.output[i] = names.get(x, x)
    onnx.save(m, str(path))
    return before - path.stat().st_size
