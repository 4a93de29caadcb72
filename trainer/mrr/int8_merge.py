"""LoRA merged into the int8 weights (issue 13): on WASM an int8 bundle's layer with adapters does
not run the float LoRA products beside the integer kernels (they made each such layer 1.10-1.19x
its LoRA-free twin). The engine adds a configuration's active adapters to each int8 weight once,
rounds the sum back to int8 on the weight's own per-column scale, and runs the LoRA-free graph
with those weights (one session per layer and adapter set, made on first use and kept):

    q' = clip(round(q + (A @ B) / s), -127, 127)             q [in, out] int8, s [out]

ffn_out's per-row product (mrr/int8.py `_row_quant_int8`) adds back -ROW_SHIFT x the column
sums of its weight; with merged weights that constant is recomputed: -ROW_SHIFT * sum_i q'[i] * s.

The bundle stores the adapters unmerged (switching configuration needs no reload, only the first
use of an adapter set makes its sessions); `graphs.int8Matrices` (`matrix_layout`) says where each
layer's six int8 matrices, their scales and the row bias lie in its weights file.
Accuracy: rounding the adapters onto the weight grid cost nothing measurable on the calibration
grid (scifact dev, 51 queries: the 34 configurations with the vertical adapter 0.6718 merged vs
0.6717; all 50 with every adapter merged 0.6935 vs 0.6951).

Three implementations compute the same numbers, up to float rounding order and ties:
`merged_linear` (PyTorch, inside `simulate_int8`: golden.json's int8 scores, calibration),
`merged_matrices` (NumPy: mrr/onnx_runner.py, the runtime's reference) and src/int8-merge.ts.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from .int8 import ROW_QUANT, ROW_SHIFT, quant_params, row_shift_bias

QMAX = 127
# the six weight matrices of a layer graph, in the order of their `onnx::MatMul_<n>` names
# (mrr/bundle_import.py MATRICES: the exporter's graph uses them in this order)
TARGETS = ("q", "k", "v", "o", "ffn_in", "ffn_out")


def merged_linear(x: torch.Tensor, layer: torch.nn.Linear, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """layer(x) with (a @ b) merged into its int8 weight ([out, in], on a per-row grid), as the
    engine merges it. Forward pre-hooks (`simulate_int8`'s activation rounding) still apply; the
    gradient passes straight through the rounding, to a and b as if unrounded."""
    w = layer.weight
    scale, _ = quant_params(w.detach().cpu().numpy().T, "s8c")  # the exported per-column scale, [1, out]
    s = torch.from_numpy(scale).to(w.device).T  # [out, 1]
    q = torch.round(w.detach() / s)
    delta = (a @ b).T
    qm = torch.clamp(torch.round(q + delta.detach() / s), -QMAX, QMAX)
    merged = w + delta + (qm * s - w - delta).detach()
    return torch.func.functional_call(layer, {"weight": merged, "bias": layer.bias}, (x,))


def merged_matrices(q: np.ndarray, s: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """q [in, out] int8, s [out] float32, a [in, R], b [R, out] -> the merged int8 [in, out]."""
    d = (a.astype(np.float32) @ b.astype(np.float32)) / s.astype(np.float32)
    return np.clip(np.round(q.astype(np.float32) + d), -QMAX, QMAX).astype(np.int8)


def row_bias(q: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ffn_out's shift correction for int8 weights q [in, out] with scales s [out]."""
    return row_shift_bias(q.astype(np.float32) * s.astype(np.float32))


def matrix_names(graph: onnx.GraphProto) -> dict[str, dict[str, str]]:
    """{target: {"weight", "scale"[, "rowBias"]}}: initializer names in an int8 layer graph."""
    names = {i.name for i in graph.initializer}
    weights = sorted((n for n in names if n.startswith("onnx::MatMul_") and (n.endswith("_quantized") or n.endswith("_q"))),
                     key=lambda n: int(n.removesuffix("_quantized").removesuffix("_q").rsplit("_", 1)[1]))
    if len(weights) != len(TARGETS):
        raise ValueError(f"int8 layer graph: expected {len(TARGETS)} int8 weight matrices, found {len(weights)}")
    out = {}
    for t, w in zip(TARGETS, weights):
        entry = {"weight": w, "scale": w.removesuffix("_quantized").removesuffix("_q") + "_scale"}
        if t in ROW_QUANT:
            (entry["rowBias"],) = [n for n in names if n.endswith("_row_bias")]
        out[t] = entry
    return out


def matrix_layout(plain_graph: Path) -> dict:
    """Where an int8 layer graph's matrices lie in its external weights file: per target
    {"shape": [in, out], "weight", "scale"[, "rowBias"]: [offset, bytes]} (docs/bundle-format.md)."""
    g = onnx.load(str(plain_graph), load_external_data=False).graph
    inits = {i.name: i for i in g.initializer}

    def where(name: str) -> list[int]:
        ext = {e.key: e.value for e in inits[name].external_data}
        if "offset" not in ext or "length" not in ext:
            raise ValueError(f"{plain_graph.name}: {name} is not stored in the weights file")
        return [int(ext["offset"]), int(ext["length"])]

    out = {}
    for t, names in matrix_names(g).items():
        w = inits[names["weight"]]
        assert w.data_type == onnx.TensorProto.INT8 and inits[names["scale"]].data_type == onnx.TensorProto.FLOAT
        out[t] = {"shape": [int(d) for d in w.dims], **{k: where(n) for k, n in names.items()}}
    return {"rowShift": ROW_SHIFT, "matrices": out}
