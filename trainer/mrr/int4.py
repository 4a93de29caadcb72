"""4-bit word embeddings of int8 bundles (docs/bundle-format.md, "int8 layers"): the vocab x hidden
table stored as two symmetric 4-bit values per byte with a float16 scale per row (or per group of
`GROUP` values along the hidden axis), unpacked inside embeddings.onnx by nodes onnxruntime folds into a
float32 table at session creation (`BitShift`, `Cast`, `Sub`, `Concat`, `Reshape`, `Mul`), so the
graph's inputs and outputs are those of any bundle.

Layout: `<name>_q4` uint8 [V, H/G, G/2]: byte j of group k of a row holds the values k*G + j
(low nibble) and k*G + G/2 + j (high nibble), each stored as q + 8 with q in [-7, 7];
`<name>_q4scale` float16 [V, H/G, 1]; the value is q * scale of its group. (Halves rather than
neighbours: the graph joins the two nibble planes with one uint8 `Concat`, no float interleave,
which keeps onnxruntime's folding at session creation cheap.)

The rounding is idempotent (a group on its grid has some |q| = 7, 7 * scale is exact in float32,
so the search's first candidate gives back its scale with no error), so rounding the PyTorch table first (`fake_quant_int4`) and storing it again gives
the same bytes: the folded table equals the PyTorch table exactly.
"""
from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper, TensorProto

QMAX = 7  # symmetric: q in [-7, 7], stored as q + 8 in a nibble
OFFSET = 8
# values per float16 scale along the hidden axis; None: one scale per row. Per row with the
# clipping search below fits the int8 bundle's 20 MB (per group of 32 costs 0.67 MB more, of 64
# 0.31 MB) and its rounding error (11.1% of the table's norm on the shipped model) is that of
# groups of 64 without the search (10.8%; per row without it: 13.2%).
GROUP: int | None = None
# clipping search: the scale is (absmax * r) / 7 for the r of these with the least squared error
# of its group (r = 1 first and kept on ties, so a table already on its grid keeps its scales)
CLIP_RATIOS = tuple(1.0 - 0.02 * i for i in range(26))  # 1.0 ... 0.5


def group_size(hidden: int, group: int | None = GROUP) -> int:
    g = hidden if group is None else min(group, hidden)
    if hidden % g or g % 2:
        raise ValueError(f"4-bit groups of {g} must divide the hidden size {hidden} and be even")
    return g


def _round(wg: np.ndarray, scale: np.ndarray) -> np.ndarray:
    safe = np.where(scale == 0, np.float16(1), scale).astype(np.float32)
    return np.clip(np.round(wg / safe), -QMAX, QMAX)


def int4_groups(w: np.ndarray, group: int | None = GROUP) -> tuple[np.ndarray, np.ndarray]:
    """w [V, H] float -> (q int8 [V, H] in [-7, 7], scale float16 [V, H/G, 1])."""
    V, H = w.shape
    g = group_size(H, group)
    wg = w.astype(np.float32).reshape(V, H // g, g)  # [V, H/G, G]
    absmax = np.abs(wg).max(2, keepdims=True)
    best_s = best_err = None
    for r in CLIP_RATIOS:
        scale = (absmax * np.float32(r) / np.float32(QMAX)).astype(np.float16)
        err = ((_round(wg, scale) * scale.astype(np.float32) - wg) ** 2).sum(2, keepdims=True)
        if best_s is None:
            best_s, best_err = scale, err
        else:
            better = err < best_err
            best_s, best_err = np.where(better, scale, best_s), np.where(better, err, best_err)
    return _round(wg, best_s).astype(np.int8).reshape(V, H), best_s


def dequantize_int4(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """q int8 [V, H], scale float16 [V, H/G, 1] -> float32 [V, H] (what the folded graph holds)."""
    V, H = q.shape
    n = scale.shape[1]
    return (q.astype(np.float32).reshape(V, n, H // n) * scale.astype(np.float32)).reshape(V, H)


def fake_quant_int4(w: np.ndarray, group: int | None = GROUP) -> np.ndarray:
    return dequantize_int4(*int4_groups(w, group))


def pack_nibbles(q: np.ndarray, group: int | None = GROUP) -> np.ndarray:
    """q int8 [V, H] in [-7, 7] -> uint8 [V, H/G, G/2]: the first half of each group in the low
    nibbles, the second half in the high nibbles."""
    V, H = q.shape
    g = group_size(H, group)
    u = (q.astype(np.int16) + OFFSET).astype(np.uint8).reshape(V, H // g, g)
    return (u[:, :, :g // 2] | (u[:, :, g // 2:] << 4)).astype(np.uint8)


def unpack_nibbles(packed: np.ndarray) -> np.ndarray:
    """The inverse of pack_nibbles: uint8 [V, H/G, G/2] -> int8 [V, H]."""
    lo = (packed & 0x0F).astype(np.int8) - OFFSET
    hi = (packed >> 4).astype(np.int8) - OFFSET
    return np.concatenate([lo, hi], axis=2).reshape(packed.shape[0], -1).astype(np.int8)


def int4_initializers_and_nodes(name: str, w: np.ndarray, group: int | None = GROUP):
    """Initializers and nodes that compute the float32 tensor `name` ([V, H]) from its 4-bit
    storage; nodes are in topological order, ready to go before the graph's own."""
    V, H = w.shape
    q, scale = int4_groups(w, group)
    p = name + "_q4"
    inits = [numpy_helper.from_array(pack_nibbles(q, group), p), numpy_helper.from_array(scale, name + "_q4scale"),
             numpy_helper.from_array(np.array([4], np.uint8), p + "_four"),  # shift amount (broadcast)
             numpy_helper.from_array(np.array([16], np.uint8), p + "_sixteen"),
             numpy_helper.from_array(np.array([OFFSET], np.float32), p + "_offset"),
             numpy_helper.from_array(np.array([V, H], np.int64), p + "_shape")]
    mk = helper.make_node
    nodes = [mk("BitShift", [p, p + "_four"], [p + "_hi"], direction="RIGHT"),              # uint8 [V, H/G, G/2]
             mk("Mod", [p, p + "_sixteen"], [p + "_lo"]),                                    # low nibble
             mk("Concat", [p + "_lo", p + "_hi"], [p + "_u"], axis=2),                       # uint8 [V, H/G, G]
             mk("Cast", [p + "_u"], [p + "_f"], to=TensorProto.FLOAT),
             mk("Sub", [p + "_f", p + "_offset"], [p + "_signed"]),                          # q in [-7, 7]
             mk("Cast", [name + "_q4scale"], [p + "_scale_f"], to=TensorProto.FLOAT),
             mk("Mul", [p + "_signed", p + "_scale_f"], [p + "_scaled"]),                    # [V, H/G, G]
             mk("Reshape", [p + "_scaled", p + "_shape"], [name])]                           # [V, H]
    return inits, nodes


def read_int4(raw: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The float32 table `name` from a graph's raw initializers (`<name>_q4`, `<name>_q4scale`)."""
    return dequantize_int4(unpack_nibbles(raw[name + "_q4"]), raw[name + "_q4scale"])
