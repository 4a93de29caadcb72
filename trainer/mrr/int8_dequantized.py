"""The dequantized twin of an int8 layer graph (issue 13: int8 bundles on WebGPU, where integer
kernels are slow or wrong on many drivers): every `DynamicQuantizeLinear` + `MatMulInteger` weight
product of the int8 graph (mrr/int8.py) becomes a plain float `MatMul` whose weight is
`Cast(W_q) * W_scale`, computed from the SAME int8 initializers (same names, same bytes), so the
twin shares the layer's external weights file and adds no weight bytes to the bundle. onnxruntime
constant-folds the `Cast` + `Mul` at session creation: the backend sees float matrices on the
int8 grid and float activations (no run-time rounding), which is exactly what PyTorch computes
on the `fake_quant_` weights (golden.json `scores`).

Both int8 forms (per-tensor `DynamicQuantizeLinear` and the per-row chain of ROW_QUANT
products) are undone.
"""
from __future__ import annotations

from pathlib import Path

import onnx
from onnx import helper, numpy_helper, TensorProto

from .onnx_links import links


def dequantized_twin(src: Path, dst: Path) -> int:
    """Write `dst`: the int8 layer graph `src` (weights inside it, before `store_compact` and
    `share_weights`) with every MatMulInteger weight product computed in float. Returns the
    number of products rewritten. Doc strings are dropped (the twin stays about the int8 graph's size)."""
    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    all_nodes = list(g.node)  # one Python object per node, held: id() below is stable
    producer, consumers = links(all_nodes)
    drop: set[int] = set()  # id() of the nodes replaced
    weight_nodes: list[onnx.NodeProto] = []
    replace: dict[int, onnx.NodeProto] = {}  # id(MatMulInteger) -> its float MatMul
    rewritten = 0
    for n in all_nodes:
        if n.op_type != "MatMulInteger":
            continue
        x_q, w_q = n.input[0], n.input[1]  # w_q [in, out] int8, symmetric
        assert inits[w_q].data_type == TensorProto.INT8, f"{n.name}: weight {w_q} must be int8"
        if len(n.input) > 3:
            zp = numpy_helper.to_array(inits[n.input[3]])
            assert not zp.any(), f"{n.name}: weight zero point must be 0 (symmetric int8, mrr/int8.py DEFAULT_FORMAT)"
        if producer[x_q].op_type == "DynamicQuantizeLinear":  # per-tensor rounding (quantize_dynamic's form)
            dql = producer[x_q]
            (cast,) = consumers[n.output[0]]  # MatMulInteger -> Cast(float) -> Mul(x_scale * W_scale)
            (out_mul,) = consumers[cast.output[0]]
            scales = producer[next(i for i in out_mul.input if i != cast.output[0])]
            assert cast.op_type == "Cast" and out_mul.op_type == "Mul" and scales.op_type == "Mul", n.name
            w_scale = next(i for i in scales.input if i != dql.output[1])  # [out] float32, per column
            x, y, chain = dql.input[0], out_mul.output[0], [cast, out_mul, scales]
        else:  # per-row rounding (int8.py `_row_quant_int8`): every node of its chain is named <p>_*
            p = x_q.removesuffix("_xq")
            chain = [c for c in all_nodes if c.output[0].startswith(p + "_") and c is not n]
            (last,) = consumers[p + "_y1"]  # ... Mul(s) -> Add(bias_shift) -> y
            chain.append(last)
            x, y, w_scale = producer[p + "_max"].input[0], last.output[0], w_q.removesuffix("_q") + "_scale"
        assert w_scale in inits, f"{n.name}: weight scale {w_scale} is not an initializer"
        w = f"{w_q}_dq"
        weight_nodes += [helper.make_node("Cast", [w_q], [f"{w}f"], name=f"{w}_cast", to=TensorProto.FLOAT),
                         helper.make_node("Mul", [f"{w}f", w_scale], [w], name=f"{w}_mul")]
        replace[id(n)] = helper.make_node("MatMul", [x, w], [y], name=n.name.removesuffix("_quant"))
        drop.update(id(c) for c in chain)
        rewritten += 1
    nodes = [replace.get(id(n), n) for n in all_nodes if id(n) not in drop]
    used = {x for n in weight_nodes + nodes for x in n.input}
    nodes = [n for n in nodes if n.op_type != "DynamicQuantizeLinear" or n.output[0] in used]
    used = {x for n in weight_nodes + nodes for x in n.input}
    for n in nodes:
        n.doc_string = ""
    del g.node[:]
    g.node.extend(weight_nodes + nodes)
    rest = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(rest)
    g.doc_string = ""
    m.doc_string = ""
    onnx.checker.check_model(m)
    onnx.save(m, str(dst))
    return rewritten


def float_weight_products(path: Path) -> int:
    """Number of `MatMul`s in a graph whose second operand is computed from an int8 initializer by
    `Cast` + `Mul` (the dequantized products)."""
    g = onnx.load(str(path), load_external_data=False).graph
    inits = {i.name: i for i in g.initializer}
    producer, _ = links(g.node)

    def from_int8(name: str) -> bool:
        mul = producer.get(name)
        if mul is None or mul.op_type != "Mul":
            return False
        casts = [producer.get(i) for i in mul.input]
        return any(c is not None and c.op_type == "Cast" and c.input[0] in inits and
                   inits[c.input[0]].data_type == TensorProto.INT8 for c in casts)

    return sum(1 for n in g.node if n.op_type == "MatMul" and from_int8(n.input[1]))

