"""The bundle's ONNX graphs: embeddings, one graph per layer (with LoRA inputs and a plain twin,
their weights shared in one external-data file per layer), the compression step, and the
adapters' safetensors (docs/bundle-format.md)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper, TensorProto
from safetensors.numpy import save_file

from .model import LORA_TARGETS, ExitHead, Layer, MatryoshkaReranker, compress, lora_shapes
from .precision import store_compact

OPSET = 17


class EmbeddingsGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.emb = model.embeddings

    def forward(self, input_ids, token_type_ids, position_ids):
        return self.emb(input_ids, token_type_ids, position_ids)


class LayerGraph(nn.Module):
    def __init__(self, layer: Layer, head: ExitHead | None):
        super().__init__()
        self.layer, self.head = layer, head

    def forward(self, hidden, mask, keep, *lora):
        # no LoRA inputs: the layer's plain twin, without the zero low-rank products
        factors = {t: (lora[2 * i], lora[2 * i + 1]) for i, t in enumerate(LORA_TARGETS)} if lora else None
        x, cls_attn = self.layer(hidden, mask, factors, keep)
        if self.head is None:
            return x, cls_attn
        return x, cls_attn, self.head(x)


def share_weights(paths: list[Path], data: Path, min_bytes: int = 1024, always: frozenset[str] = frozenset()) -> None:
    """Move the large initializers of several graphs (and those named in `always`) into one
    external-data file, each distinct tensor once (matched by dtype, shape and bytes), 64-byte
    aligned: the LoRA and plain graphs of a layer then share one copy of its weights in the bundle."""
    import hashlib
    models = [onnx.load(str(p)) for p in paths]
    where: dict[tuple, tuple[int, int]] = {}
    offset = 0
    with open(data, "wb") as f:
        for m in models:
            for init in m.graph.initializer:
                raw = numpy_helper.to_array(init).tobytes()
                if len(raw) < min_bytes and init.name not in always:
                    continue
                key = (init.data_type, tuple(init.dims), hashlib.sha256(raw).hexdigest())
                if key not in where:
                    pad = (-offset) % 64
                    f.write(b"\0" * pad)
                    offset += pad
                    f.write(raw)
                    where[key] = (offset, len(raw))
                    offset += len(raw)
                off, length = where[key]
                dims, dtype, name = list(init.dims), init.data_type, init.name
                init.Clear()
                init.name, init.data_type = name, dtype
                init.dims.extend(dims)
                init.data_location = TensorProto.EXTERNAL
                for k, v in (("location", data.name), ("offset", str(off)), ("length", str(length))):
                    e = init.external_data.add()
                    e.key, e.value = k, v
    for m, p in zip(models, paths):
        onnx.save(m, str(p))
        onnx.checker.check_model(str(p))


class CompressGraph(nn.Module):
    def forward(self, hidden, weights, group, slots):
        return compress(hidden, weights, group, slots)


def _export(module, args, path: Path, inputs, outputs, axes):
    torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True)


def export_graphs(model: MatryoshkaReranker, out: Path, precision: str = "float16", dequantized: bool = True) -> dict:
    """The graphs of docs/bundle-format.md. precision "int8": the layer graphs' matmul weights as
    int8 with DynamicQuantizeLinear + MatMulInteger (mrr/int8.py; the model must have been through
    `quantize_(model, "int8")`), plus (with `dequantized`) their float-compute twins on the same
    int8 weights (`graphs.dequantized`, mrr/int8_dequantized.py); the rest as for "float16"."""
    cfg = model.cfg
    B, T, H = 2, 7, cfg.hidden
    ids = torch.full((B, T), 5, dtype=torch.long)
    bt = {0: "B", 1: "T"}
    _export(EmbeddingsGraph(model), (ids, ids * 0, ids * 0), out / "embeddings.onnx",
            ["input_ids", "token_type_ids", "position_ids"], ["hidden"],
            {"input_ids": bt, "token_type_ids": bt, "position_ids": bt, "hidden": bt})
    shapes = lora_shapes(cfg)
    lora_names = [f"lora_{t}_{ab}" for t in LORA_TARGETS for ab in ("a", "b")]
    lora_args = []
    for t in LORA_TARGETS:
        lora_args += [torch.zeros(shapes[t][0], 1), torch.zeros(1, shapes[t][1])]
    lora_axes = {n: ({1: "R"} if n.endswith("_a") else {0: "R"}) for n in lora_names}
    layer_files, plain_files, weight_files = [], [], []
    for l in range(1, cfg.layers + 1):
        head = model.heads[str(l)] if str(l) in model.heads else None
        outs = ["hidden_out", "cls_attn"] + (["score"] if head is not None else [])
        f, fp, fw = f"layer_{l:02d}.onnx", f"layer_{l:02d}.plain.onnx", f"layer_{l:02d}.weights"
        # keep [R]: the rows whose output is computed (all, or [0] on a plan's last layer)
        axes = {"hidden": bt, "mask": bt, "keep": {0: "R"}, "hidden_out": {0: "B", 1: "R"}, "cls_attn": bt, **lora_axes}
        if head is not None:
            axes["score"] = {0: "B"}
        x = (torch.randn(B, T, H), torch.ones(B, T), torch.arange(T))
        _export(LayerGraph(model.layers[l - 1], head), (*x, *lora_args), out / f, ["hidden", "mask", "keep", *lora_names], outs, axes)
        _export(LayerGraph(model.layers[l - 1], head), x, out / fp, ["hidden", "mask", "keep"], outs,
                {k: v for k, v in axes.items() if not k.startswith("lora_")})
        layer_files.append(f)
        plain_files.append(fp)
        weight_files.append(fw)
    _export(CompressGraph(), (torch.randn(B, T, H), torch.rand(B, T), torch.zeros(B, T), torch.arange(4.0)),
            out / "compress.onnx", ["hidden", "weights", "group", "slots"], ["hidden_out"],
            {"hidden": bt, "weights": bt, "group": bt, "slots": {0: "Tout"}, "hidden_out": {0: "B", 1: "Tout"}})
    if precision == "int8":
        from .int8 import ROW_QUANT, quantize_graph
        shapes = {t: tuple(s) for t, s in lora_shapes(cfg).items()}  # [in, out] of each product
        row_shapes = tuple(shapes[t] for t in ROW_QUANT)
        assert len(set(shapes.values())) > 1 and all(list(shapes.values()).count(s) == 1 for s in row_shapes), \
            "a per-row product must be the only one of its shape"
        for f in [*layer_files, *plain_files]:  # weights already on the int8 grid: exact
            quantize_graph(out / f, out / f, row_shapes=row_shapes)
    # int8: each layer graph's dequantized twin (float compute from the same int8 initializers, for
    # WebGPU; mrr/int8_dequantized.py), sharing the layer's weights file
    dq_files = [f.replace(".onnx", ".dq.onnx") for f in layer_files] if precision == "int8" and dequantized else []
    dq_plain = [f.replace(".onnx", ".dq.onnx") for f in plain_files] if dq_files else []
    if dq_files:
        from .int8_dequantized import dequantized_twin
        for f, fd in zip([*layer_files, *plain_files], [*dq_files, *dq_plain]):
            dequantized_twin(out / f, out / fd)
    if precision == "int8":
        from .int8 import fast_gelu  # the WASM int8 graphs' GELU as FastGelu (the twins, written above, keep the exact one)
        for f in [*layer_files, *plain_files]:
            assert fast_gelu(out / f) == 1, f"{f}: expected one GELU"
        from .int8_storage import store_compact_int8 as store  # 4-bit word table, int8 per channel for the rest
    else:
        store = store_compact
    for f in ["embeddings.onnx", *layer_files, *plain_files, *dq_files, *dq_plain]:
        store(out / f, cfg.vocab_size, cfg.hidden)
    for i, (f, fp, fw) in enumerate(zip(layer_files, plain_files, weight_files)):
        # the int8 graphs come first: the weights file is the same bytes with or without the twins
        always = frozenset()
        if precision == "int8":  # every matrix the engine merges adapters into, however small (int8Matrices)
            from .int8_merge import matrix_names
            always = frozenset(n for m in matrix_names(onnx.load(str(out / fp), load_external_data=False).graph).values()
                               for n in m.values())
        share_weights([out / f, out / fp, *([out / dq_files[i], out / dq_plain[i]] if dq_files else [])], out / fw,
                      always=always)
    if precision == "int8":  # the byte budget: graphs without shape annotations and long names
        from .int8_storage import strip_graph
        for f in ["embeddings.onnx", *layer_files, *plain_files, *dq_files, *dq_plain]:
            strip_graph(out / f)
    graphs = {"embeddings": "embeddings.onnx", "layers": layer_files, "plainLayers": plain_files,
              "layerWeights": weight_files, "compress": "compress.onnx"}
    if dq_files:
        graphs["dequantized"] = {"layers": dq_files, "plainLayers": dq_plain}
    if precision == "int8":  # where the engine finds each int8 matrix to merge adapters into (mrr/int8_merge.py)
        from .int8_merge import matrix_layout
        graphs["int8Matrices"] = [matrix_layout(out / f) for f in plain_files]
    return graphs


def export_adapters(model: MatryoshkaReranker, out: Path) -> dict:
    tensors = {}
    for name in model.cfg.adapter_names:
        for l in range(1, model.cfg.layers + 1):
            for t in LORA_TARGETS:
                a, b = model.adapters[name][l - 1][t].factors()
                tensors[f"{name}.{l}.{t}.a"] = a.detach().numpy().astype(np.float16)
                tensors[f"{name}.{l}.{t}.b"] = b.detach().numpy().astype(np.float16)
    save_file(tensors, str(out / "adapters.safetensors"))
    return {"file": "adapters.safetensors", "dtype": "float16", "rank": model.cfg.lora_rank,
            "targets": {t: list(s) for t, s in lora_shapes(model.cfg).items()},
            "names": model.cfg.adapter_names}
