"""Who computes and who reads each tensor of an ONNX graph: the map the graph rewrites
(mrr/precision.py, mrr/int8.py, mrr/int8_dequantized.py) walk."""
from __future__ import annotations

from collections.abc import Iterable

import onnx


def links(nodes: Iterable[onnx.NodeProto]) -> tuple[dict[str, onnx.NodeProto], dict[str, list[onnx.NodeProto]]]:
    """(producer, consumers): the node writing each tensor, and the nodes reading it, in graph order."""
    producer: dict[str, onnx.NodeProto] = {}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for o in n.output:
            producer[o] = n
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    return producer, consumers
