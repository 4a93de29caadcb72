"""Golden vectors: the scores of a fixed query and passages under a set of configurations, which
the runtime (test/parity.test.ts, the load-time canary) and mrr.bundle_import check against, and
each configuration's plan (SubArch.plan), which the runtime's own plan must equal.

python -m mrr.golden --add-plans ../models/minilm-l6-scifact   # a bundle exported before plans
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .data import Encoder
from .model import SubArch


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
def export_golden(model, enc: Encoder, out: Path, precision: str = "float16") -> list[str]:
    """precision "int8": each case also gets `scoresByPrecision.int8`, the scores with the int8
    graphs' run-time activation rounding simulated (mrr/int8.py), each row scored alone (a batch
    of one, unpadded: the rounding's range is the batch's), checked within
    `precisions.int8.tolerance`; `scores` stay the float compute of the stored weights."""
    model.eval()
    cases = []
    for i, arch in enumerate(golden_configs(model.cfg)):
        query = GOLDEN_QUERY if i % 2 == 0 else "wind tunnel tests of wings"
        rows = enc.pairs(query, GOLDEN_PASSAGES)
        scores = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, exits={arch.depth})[arch.depth]
        lengths = (rows.q_lens + rows.p_lens + 3).tolist()
        cases.append({"name": arch.name, "config": arch_json(arch), "plan": plan_json(arch, model.cfg), "query": query, "passages": GOLDEN_PASSAGES,
                      "inputIds": [rows.input_ids[b, :n].tolist() for b, n in enumerate(lengths)],
                      "qLens": rows.q_lens.tolist(), "pLens": rows.p_lens.tolist(), "truncated": rows.truncated,
                      "scores": scores.tolist()})
        if precision == "int8":
            from .int8 import simulate_int8
            s8 = []
            with simulate_int8(model):  # one row per batch: the rounding's range depends on the batch
                for p in GOLDEN_PASSAGES:
                    r = enc.pairs(query, [p])
                    s8.append(float(model(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, arch, exits={arch.depth})[arch.depth][0]))
            cases[-1]["scoresByPrecision"] = {"int8": s8}
    doc = {"tolerance": 1e-3, "cases": cases}
    if precision == "int8":
        from .int8 import GOLDEN_TOLERANCE
        doc["precisions"] = {"int8": {"tolerance": GOLDEN_TOLERANCE}}
    (out / "golden.json").write_text(json.dumps(doc))
    return [c["name"] for c in cases]


def arch_json(a: SubArch) -> dict:
    c = {"layers": list(a.compress_layers), "ratio": a.ratio, "mode": a.mode} if a.compressed else None
    return {"depth": a.depth, "compress": c}


def arch_from_json(j: dict) -> SubArch:
    """The inverse of `arch_json`."""
    c = j.get("compress")
    return SubArch(j["depth"], tuple(c["layers"]), c["ratio"], c.get("mode", "attention")) if c else SubArch(j["depth"])


def plan_json(a: SubArch, cfg) -> list[dict]:
    """`a`'s plan as golden.json stores it (src/plan.ts `LayerStep[]`)."""
    return [step.to_json() for step in a.plan(cfg)]


def add_plans(bundle: Path) -> int:
    """Give every case of a bundle's golden.json its plan (inserted after `config`; every other
    byte of the file stays), and refresh the manifest's `files` entry of golden.json. The manifest
    is rewritten as the exporter writes it, so only that entry changes. Returns the number of cases."""
    from .bundle_import import config_of
    from .bundle_manifest import file_table
    mf = bundle / "manifest.json"
    m = json.loads(mf.read_text())
    gf = bundle / m["golden"]
    text = gf.read_text()
    golden = json.loads(text)
    if json.dumps(golden) != text:
        raise SystemExit(f"{gf} is not in the exporter's layout (json.dumps): re-export the bundle instead")
    cfg = config_of(m)
    for i, case in enumerate(golden["cases"]):
        plan = plan_json(arch_from_json(case["config"]), cfg)
        if case.get("plan", plan) != plan:
            raise SystemExit(f"{gf} cases[{i}] has a different plan: re-export the bundle instead")
        golden["cases"][i] = with_plan(case, plan)
    gf.write_text(json.dumps(golden))
    if "files" in m:
        m["files"][m["golden"]] = file_table(bundle, m)[m["golden"]]
        mf.write_text(json.dumps(m, indent=1))
    return len(golden["cases"])


def with_plan(case: dict, plan: list[dict]) -> dict:
    """`case` with `plan` right after its `config`, as export_golden writes it."""
    out = {}
    for k, v in case.items():
        if k != "plan":
            out[k] = v
        if k == "config":
            out["plan"] = plan
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--add-plans", required=True, metavar="BUNDLE", help="bundle folder whose golden.json gets the plans")
    a = p.parse_args()
    n = add_plans(Path(a.add_plans))
    print(f"{a.add_plans}: plans of {n} golden cases written; manifest files entry of golden.json refreshed")


if __name__ == "__main__":
    main()
