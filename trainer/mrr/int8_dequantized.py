"""The dequantized twin of an int8 layer graph (issue 13: int8 bundles on WebGPU, where integer
kernels are slow or wrong on many drivers): every `DynamicQuantizeLinear` + `MatMulInteger` weight
product of the int8 graph (mrr/int8.py) becomes a plain float `MatMul` whose weight is
`Cast(W_q) * W_scale`, computed from the SAME int8 initializers (same names, same bytes), so the
twin shares the layer's external weights file and adds no weight bytes to the bundle. onnxruntime
constant-folds the `Cast` + `Mul` at session creation: the backend sees float matrices on the
int8 grid and float activations (no run-time rounding), which is exactly what PyTorch computes
on the `fake_quant_` weights (golden.json `scores`).

It is the form int8.py already uses for the FLOAT_COMPUTE products (ffn_out), applied to all of them.
"""
from __future__ import annotations

from pathlib import Path

import onnx
from onnx import helper, numpy_helper, TensorProto


def dequantized_twin(src: Path, dst: Path) -> int:
    """Write `dst`: the int8 layer graph `src` (weights inside it, before `store_compact` and
    `share_weights`) with every MatMulInteger weight product computed in float. Returns the
    number of products rewritten. Doc strings are dropped (the twin stays about the int8 graph's size)."""
    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    all_nodes = list(g.node)  # one Python object per node, held: id() below is stable
    producer = {o: n for n in all_nodes for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in all_nodes:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    drop: set[int] = set()  # id() of the nodes replaced
    weight_nodes: list[onnx.NodeProto] = []
    replace: dict[int, onnx.NodeProto] = {}  # id(MatMulInteger) -> its float MatMul
    rewritten = 0
    for n in all_nodes:
        if n.op_type != "MatMulInteger":
            continue
        x_q, w_q, _x_zp, w_zp = n.input  # w_q [in, out] int8, w_zp [out] (zeros)
        dql = producer[x_q]
        assert dql.op_type == "DynamicQuantizeLinear", f"{n.name}: input {x_q} is not a DynamicQuantizeLinear output"
        zp = numpy_helper.to_array(inits[w_zp])
        assert not zp.any(), f"{n.name}: weight zero point must be 0 (symmetric int8, mrr/int8.py DEFAULT_FORMAT)"
        assert inits[w_q].data_type == TensorProto.INT8, f"{n.name}: weight {w_q} must be int8"
        (cast,) = consumers[n.output[0]]  # MatMulInteger -> Cast(float) -> Mul(x_scale * W_scale)
        (out_mul,) = consumers[cast.output[0]]
        scales = producer[next(i for i in out_mul.input if i != cast.output[0])]
        assert cast.op_type == "Cast" and out_mul.op_type == "Mul" and scales.op_type == "Mul", n.name
        w_scale = next(i for i in scales.input if i != dql.output[1])  # [out] float32, per column
        assert w_scale in inits, f"{n.name}: weight scale {w_scale} is not an initializer"
        w = f"{w_q}_dq"
        weight_nodes += [helper.make_node("Cast", [w_q], [f"{w}f"], name=f"{w}_cast", to=TensorProto.FLOAT),
                         helper.make_node("Mul", [f"{w}f", w_scale], [w], name=f"{w}_mul")]
        replace[id(n)] = helper.make_node("MatMul", [dql.input[0], w], [out_mul.output[0]], name=n.name.removesuffix("_quant"))
        drop.update({id(cast), id(out_mul), id(scales)})
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
    `Cast` + `Mul` (the dequantized products, FLOAT_COMPUTE ones included)."""
    g = onnx.load(str(path), load_external_data=False).graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}

    def from_int8(name: str) -> bool:
        mul = producer.get(name)
        if mul is None or mul.op_type != "Mul":
            return False
        casts = [producer.get(i) for i in mul.input]
        return any(c is not None and c.op_type == "Cast" and c.input[0] in inits and
                   inits[c.input[0]].data_type == TensorProto.INT8 for c in casts)

    return sum(1 for n in g.node if n.op_type == "MatMul" and from_int8(n.input[1]))

