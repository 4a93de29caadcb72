"""Read an exported bundle back into a PyTorch model: the inverse of mrr/export.py.

A bundle keeps weights at storage precision (matrices float16, word embeddings int8 per row),
so the model read back is exactly the one the runtime serves; training can resume from a
committed bundle when the run folder that made it is gone.

python -m mrr.bundle_import --bundle ../models/minilm-l6-scifact --out runs/v3/shipped.pt
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .adapters_int8 import read_adapters
from .data import build_rows
from .golden import arch_from_json, plan_json
from .int4 import read_int4
from .model import LORA_TARGETS, MatryoshkaReranker, ModelConfig
from .pretrained import pretrained_config

# int8 read-back check (check_golden): no golden row may differ by more than this (logits)
INT8_MAX_ROW_DIFF = 1.0
# the six weight matrices of a layer graph, in the order the exporter's graph first uses them
MATRICES = ("q", "k", "v", "o", "ffn_in", "ffn_out")


def _initializers(path: Path) -> dict[str, np.ndarray]:
    """Initializers by name, decoded: `x_f16` -> float32 `x`, `x_q` * `x_scale` -> `x`, `x_q4`
    (4 bits, with `x_q4scale`) -> `x`. The exporter stores equal tensors once (e.g. two LayerNorm
    scales still at ones) and names the others through Identity nodes; those names are listed too."""
    graph = onnx.load(str(path)).graph
    raw = {i.name: numpy_helper.to_array(i, base_dir=str(path.parent)) for i in graph.initializer}
    out: dict[str, np.ndarray] = {}
    for name, a in raw.items():
        if name.endswith("_scale") or name.endswith("_zero_point") or "_q4" in name:
            if name.endswith("_q4"):  # int8 bundles' 4-bit word table (mrr/int4.py)
                out[name[:-3]] = read_int4(raw, name[:-3])
            continue
        if name.endswith("_quantized"):  # int8 layer graphs (mrr/int8.py): (q - zero point) * scale, per column
            base = name[:-len("_quantized")]
            zp = raw[base + "_zero_point"].astype(np.float32) if base + "_zero_point" in raw else np.float32(0)
            out[base] = (a.astype(np.float32) - zp) * raw[base + "_scale"].astype(np.float32)
        elif name.endswith("_q"):
            base = name[:-2]
            out[base] = a.astype(np.float32) * raw[base + "_scale"].astype(np.float32)
        elif name.endswith("_f16"):
            out[name[:-4]] = a.astype(np.float32)
        else:
            out[name] = a.astype(np.float32)
    for name in [n for n in out if n.endswith("_Transposed")]:  # onnxruntime's quantizer turns Gemm(transB) into Gemm(W^T)
        out[name[:-len("_Transposed")]] = out.pop(name).T.copy()
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in out:
            out[node.output[0]] = out[node.input[0]]
    return out


def layer_matrices(inits: dict[str, np.ndarray], file: str) -> dict[str, np.ndarray]:
    """The six weight matrices of a layer graph's initializers, as nn.Linear weights [out, in]."""
    mats = [k for k in inits if k.startswith("onnx::MatMul_")]
    if len(mats) != len(MATRICES):
        raise ValueError(f"{file}: expected {len(MATRICES)} weight matrices, found {len(mats)}")
    mats.sort(key=lambda k: int(k.rsplit("_", 1)[1]))
    return {t: inits[k].T.copy() for t, k in zip(MATRICES, mats)}  # [in,out] -> [out,in]


@torch.no_grad()
def sync_layer_weights_(model: MatryoshkaReranker, folder: Path, layer_files: list[str]) -> None:
    """Set the model's layer matrices to exactly what the graphs hold (int8 export: onnxruntime's
    quantizer recomputes each scale, which can differ from ours in the last bit)."""
    for l, file in enumerate(layer_files, start=1):
        for t, w in layer_matrices(_initializers(folder / file), file).items():
            getattr(model.layers[l - 1], t).weight.copy_(torch.from_numpy(w))


def config_of(manifest: dict) -> ModelConfig:
    a = manifest["architecture"]
    names = manifest["adapters"]["names"]
    return ModelConfig(vocab_size=a["vocabSize"], hidden=a["hiddenSize"], layers=a["numLayers"], heads=a["numHeads"],
                       intermediate=a["intermediateSize"], max_positions=a["maxPositions"],
                       first_exit=min(manifest["exits"]), lora_rank=manifest["adapters"]["rank"],
                       # the bundle stores B with the scale folded in; read back at the trainer's
                       # usual scale alpha / rank = 2 (scores do not depend on it)
                       lora_alpha=2.0 * manifest["adapters"]["rank"],
                       ratios=tuple(int(n[1:]) for n in names if n.startswith("h")))


@torch.no_grad()
def check_golden(model: MatryoshkaReranker, golden: dict, where: str, precision: str = "float16") -> float:
    """Score the bundle's golden rows; raise if any differs from its recorded score by more than
    the file's tolerance, or if a case's plan (optional) differs from this trainer's. Returns the
    largest difference.

    int8: the run-time 8-bit rounding makes scores chaotic at the last bit (a float difference as
    small as a thread count's summation order can flip a rounding, and flips compound over the
    layers: up to ~0.5 logits on a few long rows of the shipped model), so the check is that the
    median row is within the tolerance and none is off by more than INT8_MAX_ROW_DIFF."""
    worst = 0.0
    diffs: list[float] = []
    for case in golden["cases"]:
        arch = arch_from_json(case["config"])
        if "plan" in case and case["plan"] != plan_json(arch, model.cfg):
            raise ValueError(f"bundle {where}: golden case {arch.name} was planned as {case['plan']}, this trainer plans "
                             f"{plan_json(arch, model.cfg)} (docs/bundle-format.md, \"Configurations\")")
        qs = [ids[1:1 + q] for ids, q in zip(case["inputIds"], case["qLens"])]
        ps = [ids[2 + q:2 + q + p] for ids, q, p in zip(case["inputIds"], case["qLens"], case["pLens"])]
        if precision == "int8":  # golden int8 scores are per row (mrr/golden.py)
            got = torch.cat([model(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, arch, exits={arch.depth})[arch.depth]
                             for r in (build_rows([q], [p]) for q, p in zip(qs, ps))])
        else:
            rows = build_rows(qs, ps)
            got = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, exits={arch.depth})[arch.depth]
        want = case["scoresByPrecision"][precision] if precision != "float16" else case["scores"]
        d = (got - torch.tensor(want)).abs()
        diffs += d.tolist()
        worst = max(worst, float(d.max()))
    tol = golden["precisions"][precision]["tolerance"] if precision != "float16" else golden["tolerance"]
    if precision == "int8" and float(np.median(diffs)) <= tol and worst <= INT8_MAX_ROW_DIFF:
        return worst
    if worst > tol:
        raise ValueError(f"bundle {where}: read back, its golden scores differ by {worst:.2e} "
                         f"(> {tol}, {precision}); the bundle does not match this reader (docs/bundle-format.md)")
    return worst


@torch.no_grad()
def load_bundle(folder: str | Path, verify: bool = True) -> MatryoshkaReranker:
    """The bundle's model; with `verify`, checked against its golden.json (when it has one)."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    cfg = config_of(manifest)
    model = MatryoshkaReranker(cfg)
    state: dict[str, torch.Tensor] = {}
    emb = _initializers(folder / manifest["graphs"]["embeddings"])
    for k, v in emb.items():
        state["embeddings." + k.removeprefix("emb.")] = torch.from_numpy(v)
    for l, file in enumerate(manifest["graphs"]["layers"], start=1):
        inits = _initializers(folder / file)
        for t, w in layer_matrices(inits, file).items():
            state[f"layers.{l - 1}.{t}.weight"] = torch.from_numpy(w)
        for k, v in inits.items():
            if k.startswith("layer."):
                state[f"layers.{l - 1}.{k.removeprefix('layer.')}"] = torch.from_numpy(v)
            elif k.startswith("head."):
                state[f"heads.{l}.{k.removeprefix('head.')}"] = torch.from_numpy(v)
    adapters = read_adapters(folder / manifest["adapters"]["file"])
    for name in cfg.adapter_names:
        for l in range(1, cfg.layers + 1):
            for t in LORA_TARGETS:
                lora = model.adapters[name][l - 1][t]
                state[f"adapters.{name}.{l - 1}.{t}.A"] = torch.from_numpy(adapters[f"{name}.{l}.{t}.a"].astype(np.float32))
                state[f"adapters.{name}.{l - 1}.{t}.B"] = torch.from_numpy(
                    adapters[f"{name}.{l}.{t}.b"].astype(np.float32) / lora.scale)
    missing = set(model.state_dict()) - set(state)
    extra = set(state) - set(model.state_dict())
    if missing or extra:
        raise ValueError(f"bundle {folder}: tensors missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}")
    model.load_state_dict(state)
    model.eval()
    if manifest.get("precision") == "int8":
        # score as the int8 graphs compute: activations rounded to 8 bits at each layer matmul
        from .int8 import simulate_int8
        model.int8 = simulate_int8(model).attach()
    if verify and manifest.get("golden") and (folder / manifest["golden"]).exists():
        check_golden(model, json.loads((folder / manifest["golden"]).read_text()), str(folder),
                     manifest.get("precision", "float16"))
    return model


def load_model(path: str | Path) -> MatryoshkaReranker:
    """The model of a checkpoint (.pt, the package model's shape) or of a bundle folder, built
    straight from its config: no pretrained weights read only to be overwritten."""
    if Path(path).is_dir():
        return load_bundle(path)
    model = MatryoshkaReranker(pretrained_config())
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--out", required=True, help="checkpoint path (state dict), e.g. runs/v3/shipped.pt")
    a = p.parse_args()
    model = load_bundle(a.bundle)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), a.out)
    print(f"{a.bundle} -> {a.out}")


if __name__ == "__main__":
    main()
