"""int8 layer graphs for WASM (issue 13): the layer matmul weights stored as 8-bit integers and
run by onnxruntime's integer kernels (`DynamicQuantizeLinear` + `MatMulInteger`, i.e.
`onnxruntime.quantization.quantize_dynamic`). The LoRA products (their B operand is a graph
input) and attention's activation x activation products stay float.

The PyTorch side rounds each weight matrix to the same grid first (`fake_quant_`), so the ONNX
integer weights dequantize to exactly the PyTorch weights; what remains between PyTorch and ONNX
is the per-tensor 8-bit rounding of the matmul inputs at run time (`DynamicQuantizeLinear`), which
depends on the batch (its min and max), hence a looser golden tolerance (`GOLDEN_TOLERANCE`).

Weight formats (`WeightFormat`):
  * `u8`  : uint8, asymmetric (zero point), per tensor   (QUInt8, onnxruntime's default)
  * `s8`  : int8, symmetric, per tensor                  (QInt8)
  * `u8c` / `s8c`: the same per output channel
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import onnx
import torch
from onnx import numpy_helper, TensorProto

from .onnx_links import links

WeightFormat = Literal["u8", "s8", "u8c", "s8c"]
WEIGHT_FORMATS: tuple[str, ...] = ("u8", "s8", "u8c", "s8c")
# the bundle's form: in bench/int8-kernels.ts (onnxruntime-web WASM) no int8 form was reliably faster
# than another, and per-channel int8 weights halve the score change against float
DEFAULT_FORMAT: WeightFormat = "s8c"
# Layer products whose input is rounded to uint8 per row (per token) instead of per tensor
# (`row_quant_activation`): ffn_out's input, the GELU output (>= -0.17, a few tokens with large
# values), rounded per tensor cost the shipped model 0.017 nDCG@10 at d6 (scifact-dev, 51 queries:
# 0.7950 vs float 0.8124); per row it costs nothing measurable (0.8160), and ffn_out (a third of
# the layer's weight products) keeps the integer kernel: computed in float instead it made the
# int8 engine 1.38x transformers.js's q8 graph on the same rows.
ROW_QUANT: tuple[str, ...] = ("ffn_out",)
# The shift that makes a ROW_QUANT input non-negative (GELU's minimum is -0.16997; the tanh
# form's, -0.17004, still rounds to 0), so each row rounds to uint8 with zero point 0 and one
# scale: the shift comes back as a constant bias.
ROW_SHIFT = 0.17
# |ONNX int8 - PyTorch| on a golden score (one row per batch): PyTorch simulates the run-time 8-bit
# rounding of activations, but a value on a rounding boundary can land on either side, and
# onnxruntime's FastGelu (its own tanh) differs from PyTorch's in the last bits, which moves a few
# values across a boundary (tiny random model, onnxruntime CPU: 0.018 with the exact GELU, 0.042
# with FastGelu, on 6 of 44 scores; the others equal to 1e-6)
GOLDEN_TOLERANCE = 0.06


def _qrange(fmt: str) -> tuple[int, int]:
    return (-127, 127) if fmt.startswith("s8") else (0, 255)


def quant_params(w: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Scale and zero point of a [in, out] matmul weight the way onnxruntime's quantizer
    computes them (quant_utils.compute_scale_zp): per tensor, or per output column (axis 1)."""
    axis = (0,) if fmt.endswith("c") else None
    rmin = np.minimum(w.min(axis=axis, keepdims=axis is not None), 0).astype(np.float32)
    rmax = np.maximum(w.max(axis=axis, keepdims=axis is not None), 0).astype(np.float32)
    qmin, qmax = _qrange(fmt)
    if fmt.startswith("s8"):
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        scale = (2 * absmax / np.float32(qmax - qmin)).astype(np.float32)
        zp = np.zeros_like(scale)
    else:
        scale = ((rmax - rmin) / np.float32(qmax - qmin)).astype(np.float32)
        safe = np.where(scale == 0, np.float32(1), scale)
        zp = np.clip(np.round(qmin - rmin / safe), qmin, qmax).astype(np.float32)
    scale = np.where(scale == 0, np.float32(1), scale).astype(np.float32)
    return scale, zp


def row_shift_bias(w: np.ndarray) -> np.ndarray:
    """ffn_out's constant for its per-row input rounding (`_row_quant_int8`): -ROW_SHIFT x the
    column sums of its weight w [in, out] (float, on the int8 grid), float32 [out]."""
    return (-ROW_SHIFT * w.sum(0)).astype(np.float32)


def fake_quant(w: np.ndarray, fmt: str) -> np.ndarray:
    """w rounded to its 8-bit grid and back to float32 (w is [in, out], as the ONNX MatMul sees it)."""
    scale, zp = quant_params(w, fmt)
    qmin, qmax = _qrange(fmt)
    q = np.clip(np.round(w / scale) + zp, qmin, qmax)
    return ((q - zp) * scale).astype(np.float32)


@torch.no_grad()
def fake_quant_(model, fmt: str) -> None:
    """Round every layer matmul weight (q, k, v, o, ffn_in, ffn_out; nn.Linear weight [out, in])
    of `model.layers` to the int8 grid in place. Embeddings, exit heads and adapters are left alone."""
    for layer in model.layers:
        for mod in layer.modules():
            if isinstance(mod, torch.nn.Linear):
                w = mod.weight.detach().numpy().T  # [in, out], as exported
                mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(fake_quant(w, fmt).T)))


def fold_casts(m: onnx.ModelProto) -> onnx.ModelProto:
    """Turn `Cast(initializer)` nodes (the float16 storage of mrr/precision.py) and `Mul` of two
    such (the int8 word-embedding rows times their scale) back into float32 initializers, so the
    quantizer sees plain float weights."""
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    keep, drop = [], set()
    for n in g.node:  # nodes are in topological order: a Mul's folded Casts come first
        if n.op_type == "Cast" and n.input[0] in inits and n.attribute[0].i == TensorProto.FLOAT:
            w = numpy_helper.to_array(inits[n.input[0]]).astype(np.float32)
        elif n.op_type == "Mul" and all(x in inits for x in n.input):
            w = numpy_helper.to_array(inits[n.input[0]]) * numpy_helper.to_array(inits[n.input[1]])
        else:
            keep.append(n)
            continue
        init = numpy_helper.from_array(w.astype(np.float32), n.output[0])
        g.initializer.append(init)
        inits[n.output[0]] = init
        drop.update(n.input)
    del g.node[:]
    g.node.extend(keep)
    rest = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(rest)
    return m


def weight_matmuls(m: onnx.ModelProto, min_size: int = 1024) -> list[str]:
    """Names of the MatMul nodes whose second operand is a float initializer of at least
    `min_size` elements: the layer's weight products (not LoRA, not attention)."""
    inits = {i.name: i for i in m.graph.initializer}
    out = []
    for n in m.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits:
            i = inits[n.input[1]]
            if i.data_type == TensorProto.FLOAT and int(np.prod(i.dims)) >= min_size:
                out.append(n.name)
    return out


def quantize_graph(src: Path, dst: Path, fmt: str = DEFAULT_FORMAT,
                   row_shapes: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """Write `dst`: the graph `src` (external data allowed) with its weight MatMuls as
    DynamicQuantizeLinear + MatMulInteger, weights in `fmt`. MatMuls whose weight has a shape in
    `row_shapes` ([in, out]) round their input per row (`_row_quant_int8`). Returns the names
    of the nodes quantized per tensor."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    import tempfile
    m = fold_casts(onnx.load(str(src)))
    for n_i, n in enumerate(m.graph.node):  # the quantizer selects nodes by name
        if not n.name:
            n.name = f"{n.op_type}_{n_i}"
    inits = {i.name: i for i in m.graph.initializer}
    by_name = {n.name: n for n in m.graph.node}
    shape = {n: tuple(inits[by_name[n].input[1]].dims) for n in weight_matmuls(m)}
    nodes = [n for n in shape if shape[n] not in row_shapes]
    per_row = [by_name[n] for n in shape if shape[n] in row_shapes]
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / "float.onnx"
        onnx.save(m, str(tmp))
        quantize_dynamic(str(tmp), str(dst), weight_type=QuantType.QInt8 if fmt.startswith("s8") else QuantType.QUInt8,
                         per_channel=fmt.endswith("c"), nodes_to_quantize=nodes, op_types_to_quantize=["MatMul"],
                         extra_options={"MatMulConstBOnly": True})
    out = onnx.load(str(dst))
    out.graph.name = m.graph.name
    drop_zero_points(out)
    for n in per_row:
        _row_quant_int8(out, n.name, fmt)
    onnx.checker.check_model(out)
    onnx.save(out, str(dst))
    return nodes


def drop_zero_points(m: onnx.ModelProto) -> int:
    """Remove every MatMulInteger's weight zero point that is all zeros (symmetric int8: all of
    them), and its initializer. The product is the same (the engine's scores do not change), and
    onnxruntime's int8 GEMM skips its zero-point path: one layer graph alone ran in 0.96 of the time
    on WASM (batch 8 x 256, 2 threads, median of 31 paired rounds); the whole engine's gain is
    within this machine's noise (0.98 to 1.01). Returns the number removed."""
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    dropped: set[str] = set()
    for n in g.node:
        if n.op_type == "MatMulInteger" and len(n.input) == 4 and n.input[3] in inits \
                and not numpy_helper.to_array(inits[n.input[3]]).any():
            dropped.add(n.input[3])
            del n.input[3]
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for name in dropped - used:  # a zero point another node still reads stays
        g.initializer.remove(inits[name])
    return len(dropped)


def _int8_columns(g: onnx.GraphProto, name: str, fmt: str) -> np.ndarray:
    """Swap the float initializer `name` ([in, out], already on the int8 grid) for `name_q` (int8)
    and `name_scale` (float32 [out]); returns the float weight."""
    init = next(i for i in g.initializer if i.name == name)
    w = numpy_helper.to_array(init).astype(np.float32)
    assert fmt.startswith("s8"), "int8 storage with a scale per column needs a symmetric format (s8, s8c)"
    scale, _ = quant_params(w, fmt)  # symmetric: zero point 0
    scale = np.broadcast_to(scale.reshape(-1), (w.shape[1],)).astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    g.initializer.remove(init)
    g.initializer.extend([numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(scale, name + "_scale")])
    return w


def _row_quant_int8(m: onnx.ModelProto, node: str, fmt: str) -> None:
    """Replace the float MatMul `node` (x [..., in] @ W [in, out]) by its per-row integer form:
    xs = x + ROW_SHIFT, s = max(xs over the row) / 255 (one scale per token), x_q = uint8(round(xs / s)),
    y = Cast(MatMulInteger(x_q, W_q)) * W_scale * s - ROW_SHIFT * colsum(W). What
    `row_quant_activation` computes in PyTorch, up to float rounding order and ties. Three passes
    over x: ReduceMax, then x_q = Cast<uint8>(x * k + c) with the row's k = 1 / s and
    c = ROW_SHIFT * k + 0.5 (Cast truncates; the argument lies in [0, 255.5], so no Clip)."""
    g = m.graph
    n = next(x for x in g.node if x.name == node)
    x, wname, y = n.input[0], n.input[1], n.output[0]
    w = _int8_columns(g, wname, fmt)
    p = node + "_row"
    const = {p + "_shift": np.float32(ROW_SHIFT), p + "_eps": np.float32(1e-8), p + "_255": np.float32(255.0),
             p + "_half": np.float32(0.5), p + "_bias": row_shift_bias(w)}
    g.initializer.extend(numpy_helper.from_array(np.asarray(v), k) for k, v in const.items())
    mk = onnx.helper.make_node
    nodes = [mk("ReduceMax", [x], [p + "_max"], axes=[-1], keepdims=1),  # [..., 1]
             mk("Add", [p + "_max", p + "_shift"], [p + "_maxs"]),
             mk("Max", [p + "_maxs", p + "_eps"], [p + "_maxe"]),
             mk("Div", [p + "_255", p + "_maxe"], [p + "_k"]),
             mk("Div", [p + "_maxe", p + "_255"], [p + "_s"]),
             mk("Mul", [p + "_k", p + "_shift"], [p + "_ks"]),
             mk("Add", [p + "_ks", p + "_half"], [p + "_c"]),
             mk("Mul", [x, p + "_k"], [p + "_xk"]),
             mk("Add", [p + "_xk", p + "_c"], [p + "_xc"]),
             mk("Cast", [p + "_xc"], [p + "_xq"], to=TensorProto.UINT8),
             mk("MatMulInteger", [p + "_xq", wname + "_q"], [p + "_acc"]),
             mk("Cast", [p + "_acc"], [p + "_accf"], to=TensorProto.FLOAT),
             mk("Mul", [p + "_accf", wname + "_scale"], [p + "_y0"]),
             mk("Mul", [p + "_y0", p + "_s"], [p + "_y1"]),
             mk("Add", [p + "_y1", p + "_bias"], [y])]
    at = list(g.node).index(n)
    rest = list(g.node)
    del g.node[:]
    g.node.extend(rest[:at] + nodes + rest[at + 1:])


def fast_gelu(path: Path) -> int:
    """Rewrite, in the graph file `path`, each exact GELU (the exporter's `x * 0.5 * (1 + Erf(x / sqrt 2))`
    chain) as one `com.microsoft.FastGelu` (the tanh approximation, |difference| < 5e-4): on
    onnxruntime-web WASM it takes 0.47 of the erf form's time (batch 8 x 200 x 1536, one thread).
    For the int8 graphs only, where `simulate_int8` sets the PyTorch layers' GELU to "tanh" too;
    the float graphs and the dequantized twins keep the exact GELU. Returns the number rewritten."""
    m = onnx.load(str(path), load_external_data=False)
    g = m.graph
    nodes = list(g.node)
    producer, consumers = links(nodes)
    drop, replace = set(), {}
    for erf in (nd for nd in nodes if nd.op_type == "Erf"):
        div = producer[erf.input[0]]
        x = div.input[0]
        chain, t = [div, erf], erf.output[0]
        for op in ("Add", "Mul", "Mul"):  # + 1, * x, * 0.5 (the exporter's order)
            (nxt,) = consumers[t]
            assert nxt.op_type == op, f"GELU chain after {div.name}: {nxt.op_type}, expected {op}"
            chain.append(nxt)
            t = nxt.output[0]
        assert x in chain[3].input, "GELU chain: the Mul by x is missing"
        replace[id(div)] = onnx.helper.make_node("FastGelu", [x], [t], domain="com.microsoft")
        drop.update(id(c) for c in chain[1:])
    out = [replace.get(id(nd), nd) for nd in nodes if id(nd) not in drop]
    used = {i for nd in out for i in nd.input} | {o.name for o in g.output}
    out = [nd for nd in out if nd.op_type != "Constant" or nd.output[0] in used]  # the chain's sqrt 2, 1, 0.5
    del g.node[:]
    g.node.extend(out)
    unused = [i for i in g.initializer if i.name not in used]
    for i in unused:
        g.initializer.remove(i)
    if replace and not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, str(path))
    return len(replace)


def quantize_static_qdq(src: Path, dst: Path, feeds: list[dict[str, np.ndarray]], per_channel: bool = True) -> None:
    """QDQ static quantization (activations uint8 with scales calibrated on `feeds`, weights int8):
    measured against the dynamic form in bench/int8-kernels.ts; not used by the bundle."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    import tempfile
    m = fold_casts(onnx.load(str(src)))
    for n_i, n in enumerate(m.graph.node):
        if not n.name:
            n.name = f"{n.op_type}_{n_i}"
    nodes = weight_matmuls(m)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / "float.onnx"
        onnx.save(m, str(tmp))
        quantize_static(str(tmp), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_quantize=nodes,
                        op_types_to_quantize=["MatMul"])


def fake_quant_activation(x: torch.Tensor) -> torch.Tensor:
    """onnxruntime's DynamicQuantizeLinear and back: x rounded to uint8 with one scale and zero
    point for the whole tensor (its min and max, widened to include 0). The gradient passes
    straight through (quantization-aware training can use it as is)."""
    lo = torch.clamp(x.detach().min(), max=0.0)
    hi = torch.clamp(x.detach().max(), min=0.0)
    scale = (hi - lo) / 255.0
    if float(scale) == 0.0:
        return x
    zp = torch.clamp(torch.round(-lo / scale), 0, 255)
    q = torch.clamp(torch.round(x.detach() / scale) + zp, 0, 255)
    return x + ((q - zp) * scale - x).detach()


def row_quant_activation(x: torch.Tensor) -> torch.Tensor:
    """A ROW_QUANT product's input as the int8 graphs round it (`_row_quant_int8`): shifted by
    ROW_SHIFT, rounded to uint8 with one scale per row (its max / 255), shifted back, with the
    graph's arithmetic (x * k + c, truncated) so that both round alike. Unlike the per-tensor
    rounding, a row's result does not depend on the other rows of its batch. Straight-through
    gradient."""
    xd = x.detach()
    m = (xd.amax(-1, keepdim=True) + ROW_SHIFT).clamp_min(1e-8)
    k, s = torch.full_like(m, 255.0) / m, m / 255.0  # (not 255.0 / m: PyTorch computes that as 255 * (1 / m))
    q = torch.clamp(torch.floor(xd * k + (k * ROW_SHIFT + 0.5)), 0, 255)
    return x + (q * s - ROW_SHIFT - x).detach()


class simulate_int8:
    """Context manager (or `.attach()` for good): every layer matmul of `model` rounds its input as the int8 graphs do at run time (`fake_quant_activation`,
    or `row_quant_activation` for ROW_QUANT), runs its active adapters merged into its int8 weight (`int8_merge.merged_linear`, as the
    engine does on WASM), and GELU is the tanh approximation (`fast_gelu`). With `fake_quant_` weights, the PyTorch model then
    computes what onnxruntime's MatMulInteger graphs compute, up to ties."""

    def __init__(self, model):
        self.model, self.handles = model, []

    def attach(self):
        for layer in self.model.layers:
            for name, mod in layer.named_children():
                if isinstance(mod, torch.nn.Linear):
                    fq = row_quant_activation if name in ROW_QUANT else fake_quant_activation
                    self.handles.append(mod.register_forward_pre_hook(lambda _m, args, fq=fq: (fq(args[0]),)))
                    mod.int8_merge = True  # active adapters merged into the int8 weight (mrr/int8_merge.py)
            layer.gelu = "tanh"  # the int8 graphs' FastGelu (`fast_gelu`)
        return self

    def detach(self):
        for h in self.handles:
            h.remove()
        self.handles = []
        for layer in self.model.layers:
            layer.gelu = "none"
            for mod in layer.children():
                if isinstance(mod, torch.nn.Linear):
                    mod.int8_merge = False

    def __enter__(self):
        return self.attach()

    def __exit__(self, *exc):
        self.detach()


def quantize_q8_like_transformersjs(src: Path, dst: Path) -> None:
    """The single full graph quantized the way transformers.js's own conversion makes its default
    WASM dtype `q8` (its scripts/quantize.py, `quantize_q8`): onnxruntime's ONNXQuantizer in
    IntegerOps mode over every integer op type (MatMul, Gather of the embeddings, ...), weights
    QInt8 per tensor (no Conv in the graph), activations uint8, MatMulConstBOnly. Written to
    hf/onnx/model_quantized.onnx, the file transformers.js reads for `dtype: 'q8'`."""
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from onnxruntime.quantization.quant_utils import QuantizationMode
    from onnxruntime.quantization.registry import IntegerOpsRegistry
    m = fold_casts(onnx.load(str(src)))
    q = ONNXQuantizer(m, False, False, QuantizationMode.IntegerOps, False, QuantType.QInt8, QuantType.QUInt8,
                      None, [], [], set(IntegerOpsRegistry.keys()),
                      {"EnableSubgraph": True, "MatMulConstBOnly": True})
    q.quantize_model()
    onnx.save(q.model.model, str(dst))
