"""The bundle's manifest.json pieces: the configuration table with its calibration, the fusion
default, and the training record (docs/bundle-format.md)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch

from .data import MAX_PASSAGE_TOKENS
from .golden import arch_json
from .model import MatryoshkaReranker, SubArch, relative_flops

FLOPS_REF = {"qLen": 16, "pLen": MAX_PASSAGE_TOKENS}


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


def runtime_files(m: dict) -> list[str]:
    """Every file the runtime reads (src/manifest.ts bundleFiles), in its load order."""
    g = m["graphs"]
    dq = g.get("dequantized", {})
    return [m["input"]["tokenizer"], m["input"]["tokenizerConfig"], g["embeddings"], *g.get("layerWeights", []),
            *g["layers"], *g.get("plainLayers", []), *dq.get("layers", []), *dq.get("plainLayers", []),
            g["compress"], m["adapters"]["file"], m["golden"]]


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
            if c.get("qa"):
                stages[st]["qaSets"] = c["qa"].split(",")
                stages[st]["teacherWeights"] = c.get("teacher_weights") or "mrr/teacher.py TEACHER_WEIGHTS"
            if c.get("init") and Path(c["init"]).is_dir():
                init = Path(c["init"])
    data = "scifact train split, dev queries held out (docs/dev-split.md); title pseudo-queries from its corpus"
    if any(st.get("inverseClozeQueries") for st in stages.values()):
        data += "; inverse-cloze pseudo-queries from its corpus (mrr/ict.py)"
    qa = next((st["qaSets"] for st in stages.values() if st.get("qaSets")), None)
    if qa:
        data += (f"; labelled question-answering sets {', '.join(qa)} (20% of each held out as dev, judged "
                 "non-relevant passages as hard negatives), sources drawn evenly")
    record = {"data": data,
              "stages": stages, "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, no GPU",
              "torch": torch.__version__, "command": command or f"bash scripts/train-all.sh {run}"}
    if init is not None:
        prev = json.loads((init / "manifest.json").read_text()).get("training", {})
        record["continuedFrom"] = {"bundle": init.name, "training": prev}
    return record
