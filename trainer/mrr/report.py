"""Write trainer/RESULTS.md from evaluation JSON files (outputs of mrr.evaluate).

python -m mrr.report --run runs/main --out RESULTS.md
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .evaluate import parse_name
from .model import ModelConfig, relative_flops


def flops(name: str) -> float:
    return relative_flops(parse_name(name), ModelConfig(), 16, 192)


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def ablation_table(run: Path, configs: list[str]) -> list[str]:
    stages = [("naive truncation (exits only)", load(run / "ablation-naive.json")),
              ("+ cascaded self-distillation", load(run / "ablation-distill.json")),
              ("+ factorized compensation", load(run / "calib.json"))]
    qs = {d["scifact-dev"]["queries"] for _, d in stages if d}
    assert len(qs) <= 1, f"ablation files evaluate different query counts {qs}: re-run them alike"
    stages = [(n, d) for n, d in stages if d]
    if not stages:
        return ["(no ablation results yet)"]
    key = "scifact-dev"
    q = stages[0][1][key]["queries"]
    k = stages[0][1][key]["k"]
    lines = [f"scifact dev split ({q} queries), nDCG@10 re-ranking BM25 top-{k}; BM25 alone: "
             f"{stages[0][1][key]['results']['bm25']['ndcg10']:.4f}.", "",
             "| configuration | FLOPs | " + " | ".join(n for n, _ in stages) + " |",
             "|---|---:|" + "---:|" * len(stages)]
    for c in configs:
        cells = [f"{d[key]['results'][c]['ndcg10']:.4f}" if c in d[key]["results"] else "–" for _, d in stages]
        lines.append(f"| {c} | {flops(c):.2f} | " + " | ".join(cells) + " |")
    means = []
    for _, d in stages:
        vals = [d[key]["results"][c]["ndcg10"] for c in configs if c in d[key]["results"]]
        means.append(f"{sum(vals) / len(vals):.4f}" if len(vals) == len(configs) else "–")
    lines.append("| **mean** | | " + " | ".join(means) + " |")
    return lines


def datasets_table(run: Path) -> list[str]:
    d = load(run / "datasets.json")
    if not d:
        return ["(not run yet)"]
    names = [n for n in next(iter(d.values()))["results"] if n != "bm25"]
    lines = ["| dataset | queries | BM25 | " + " | ".join(f"{n} ({flops(n):.2f})" for n in names) + " |",
             "|---|---:|---:|" + "---:|" * len(names)]
    rel = {n: [] for n in names}
    for ds, r in d.items():
        res = r["results"]
        full = res.get("d6", {}).get("ndcg10")
        lines.append(f"| {ds} | {r['queries']} | {res['bm25']['ndcg10']:.4f} | "
                     + " | ".join(f"{res[n]['ndcg10']:.4f}" for n in names) + " |")
        for n in names:
            if full:
                rel[n].append(res[n]["ndcg10"] / full)
    if all(rel.values()):
        lines.append("| **mean of (config / d6)** | | | " + " | ".join(f"{sum(v) / len(v):.3f}" for v in rel.values()) + " |")
    return lines


def calibration_table(run: Path) -> list[str]:
    d = load(run / "calib.json")
    if not d:
        return ["(not run yet)"]
    res = d["scifact-dev"]["results"]
    full = res["d6"]["ndcg10"]
    rows = sorted(((flops(n), n, r["ndcg10"]) for n, r in res.items() if n != "bm25"))
    lines = ["| configuration | FLOPs | nDCG@10 | of d6 |", "|---|---:|---:|---:|"]
    lines += [f"| {n} | {f:.2f} | {v:.4f} | {v / full:.3f} |" for f, n, v in rows]
    return lines


def summary(run: Path, configs: list[str]) -> list[str]:
    """Claims computed from the JSON files (no number typed by hand)."""
    out = []
    stages = [load(run / f) for f in ("ablation-naive.json", "ablation-distill.json", "calib.json")]
    if all(stages):
        means = []
        for d in stages:
            res = d["scifact-dev"]["results"]
            means.append(sum(res[c]["ndcg10"] for c in configs) / len(configs))
        gains = means[1] > means[0] and means[2] > means[1]
        out.append(f"* Ablation (scifact dev, top-20, mean nDCG@10 over {len(configs)} configurations): naive "
                   f"{means[0]:.4f} -> + distillation {means[1]:.4f} -> + compensation {means[2]:.4f}"
                   + (": each technique adds its gain." if gains else ": NOT every technique shows a gain."))
    d = load(run / "datasets.json")
    if d:
        wins = {ds: r["results"]["d6"]["ndcg10"] > r["results"]["bm25"]["ndcg10"] for ds, r in d.items()}
        lost = [ds for ds, w in wins.items() if not w]
        out.append(f"* Re-ranking BM25 top-{next(iter(d.values()))['k']}, the full configuration d6 beats BM25 on "
                   f"{sum(wins.values())} of {len(wins)} datasets" + (f"; NOT on {', '.join(lost)}." if lost else "."))
        names = [n for n in next(iter(d.values()))["results"] if n not in ("bm25", "d6")]
        for n in names:
            f = flops(n)
            rel = sum(r["results"][n]["ndcg10"] / r["results"]["d6"]["ndcg10"] for r in d.values()) / len(d)
            if f <= 0.5:
                out.append(f"  * {n} ({f:.2f} FLOPs) keeps {rel:.3f} of d6 on average over those datasets"
                           + (" (>= 0.97)." if rel >= 0.97 else " (< 0.97)."))
    return out or ["(no results yet)"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", default="runs/main")
    p.add_argument("--out", default="RESULTS.md")
    p.add_argument("--configs", help="ablation configurations (default: runs/<run>/ablation-configs.txt)")
    a = p.parse_args()
    run = Path(a.run)
    configs = (a.configs or (run / "ablation-configs.txt").read_text().strip()).split(",")
    meta = {s: load(run / f"{s}.json") for s in ("naive", "distill", "compensate")}
    train = ", ".join(f"{s} {m['steps']} steps / {m['minutes']} min" for s, m in meta.items() if m)
    text = [
        "# Trainer results", "",
        "Every number below is printed by the commands shown, run on this repo's shipped model",
        "(`models/minilm-l6-scifact`, weights rounded exactly as exported). Hardware: 2 CPU cores, no GPU.",
        f"Training: {train} (`bash scripts/train-all.sh {a.run}`; stages are time-boxed, so step counts",
        "are what the time boxes allowed on this machine).", "",
        "## Summary (computed from the tables below)", "",
        *summary(run, configs), "",
        "## Ablation", "",
        "Same 51 scifact dev queries (seed 0) and configurations for the three checkpoints; the",
        "compensated column is read from the calibration run (its grid holds every configuration).",
        "",
        "```bash",
        "cd trainer",
        f"for s in naive distill; do .venv/bin/python -m mrr.evaluate --ckpt {a.run}/$s.pt --datasets scifact-dev \\",
        f"  --configs $(cat {a.run}/ablation-configs.txt) --k 20 --max-queries 51 --threads 1 --out {a.run}/ablation-$s.json; done",
        f".venv/bin/python -m mrr.evaluate --ckpt {a.run}/compensate.pt --datasets scifact-dev --configs grid --k 20 --max-queries 51 --threads 1 --out {a.run}/calib.json",
        f".venv/bin/python -m mrr.report --run {a.run} --out RESULTS.md",
        "```", "",
        *ablation_table(run, configs), "",
        "## Every dataset (BM25 top-100 re-ranked)", "",
        "```bash",
        f".venv/bin/python -m mrr.evaluate --ckpt {a.run}/compensate.pt --datasets adi,medline,scifact-dev,cisi,cranfield \\",
        f"  --configs $(cat {a.run}/datasets-configs.txt) --k 100 --max-queries 15 --threads 1 --out {a.run}/datasets.json",
        "```", "",
        *datasets_table(run), "",
        "## Calibration table (in the manifest)", "",
        *calibration_table(run), "",
    ]
    Path(a.out).write_text("\n".join(text) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
