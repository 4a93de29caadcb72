"""Write trainer/RESULTS.md from evaluation JSON files (outputs of mrr.evaluate).

python -m mrr.report --run runs/main --out RESULTS.md
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .fusion import fused_name, parse_fused_name
from . import report_general
from .report_general import flops


def md_table(head: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """A markdown table; the first `left` columns left-aligned, the rest right-aligned."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * left + "---:|" * (len(head) - left),
            *("| " + " | ".join(r) + " |" for r in rows)]


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


ABLATION_STAGES = [  # (column, file): each distillation stage, then the compensation trained on it
    ("naive truncation (exits only)", "ablation-naive.json"),
    ("+ cascaded self-distillation", "ablation-distill.json"),
    ("+ factorized compensation", "ablation-compensate.json"),
    ("+ more distillation", "ablation-distill-more.json"),
    ("+ compensation again", "ablation-compensate-again.json"),
    ("+ distillation with inverse-cloze queries", "ablation-distill-ict.json"),
    ("+ compensation, third", "ablation-compensate-third.json"),
]


def ablation_stages(run: Path) -> list[tuple[str, dict]]:
    """The ablation columns present in the run folder. The newest compensation is calib.json (its
    grid holds every configuration): it fills the compensation column after the last stage present."""
    have = [i for i, (_, f) in enumerate(ABLATION_STAGES) if (run / f).exists()]
    stages = [(ABLATION_STAGES[i][0], load(run / ABLATION_STAGES[i][1])) for i in have]
    calib = load(run / "calib.json")
    nxt = (have[-1] + 1) if have else 2
    if calib and nxt < len(ABLATION_STAGES) and "compensate" in ABLATION_STAGES[nxt][1]:
        stages.append((ABLATION_STAGES[nxt][0], calib))
    return stages


def ablation_table(run: Path, configs: list[str]) -> list[str]:
    stages = ablation_stages(run)
    qs = {d["scifact-dev"]["queries"] for _, d in stages if d}
    assert len(qs) <= 1, f"ablation files evaluate different query counts {qs}: re-run them alike"
    if not stages:
        return ["(no ablation results yet)"]
    key = "scifact-dev"
    q = stages[0][1][key]["queries"]
    k = stages[0][1][key]["k"]
    rows = [[c, f"{flops(c):.2f}", *(f"{d[key]['results'][c]['ndcg10']:.4f}" if c in d[key]["results"] else "–"
                                      for _, d in stages)] for c in configs]
    means = []
    for _, d in stages:
        vals = [d[key]["results"][c]["ndcg10"] for c in configs if c in d[key]["results"]]
        means.append(f"{sum(vals) / len(vals):.4f}" if len(vals) == len(configs) else "–")
    rows.append(["**mean**", "", *means])
    return [f"scifact dev split ({q} queries), nDCG@10 re-ranking BM25 top-{k}; BM25 alone: "
            f"{stages[0][1][key]['results']['bm25']['ndcg10']:.4f}.", "",
            *md_table(["configuration", "FLOPs", *(n for n, _ in stages)], rows)]


def datasets_table(run: Path, file: str = "datasets.json") -> list[str]:
    """Per dataset: BM25, then every configuration alone and fused with BM25 (weight 1,
    mrr/fusion.py); last rows: each configuration's mean ratio to d6 (alone) and to d6+bm25 (fused)."""
    d = load(run / file)
    if not d:
        return ["(not run yet)"]
    res0 = next(iter(d.values()))["results"]
    names = [n for n in res0 if n != "bm25" and "+" not in n]
    cols = [c for n in names for c in ([n, fused_name(n, 1)] if fused_name(n, 1) in res0 else [n])]
    rows = [[ds, str(r["queries"]), *(f"{r['results'][c]['ndcg10']:.4f}" for c in ["bm25", *cols])] for ds, r in d.items()]
    ratios = []
    for c in cols:
        ref = fused_name("d6", 1) if "+" in c else "d6"
        ratios.append(f"{mean_ratio(d, c, ref):.3f}" if all(ref in r["results"] for r in d.values()) else "–")
    if names != ["d6"]:
        rows.append(["**mean ratio to d6 (alone) / d6+bm25 (fused)**", "", "", *ratios])
    return md_table(["dataset", "queries", "BM25", *(c if "+" in c else f"{c} ({flops(c):.2f})" for c in cols)], rows)


def merged_note(d: dict) -> list[str]:
    """For an evaluation file merged from parallel runs: which run gave which datasets."""
    by_cmd: dict[str, list[str]] = {}
    for ds, r in d.items():
        by_cmd.setdefault(r.get("command", "?"), []).append(ds)
    if len(by_cmd) < 2:
        return []
    return ["", "Merged from parallel runs (Commands, below): " + "; ".join(
        f"{', '.join(v)} from `{k.split('--out ')[-1]}`" for k, v in by_cmd.items()) + "."]


def mean_ratio(d: dict, config: str, ref: str) -> float:
    return sum(r["results"][config]["ndcg10"] / r["results"][ref]["ndcg10"] for r in d.values()) / len(d)


def previous_table(run: Path) -> list[str]:
    """The bundle this run continued from, on the same queries (datasets-previous.json)."""
    prev, cur = load(run / "datasets-previous.json"), load(run / "datasets.json")
    if not prev or not cur:
        return []
    names = [n for n in next(iter(cur.values()))["results"] if n != "bm25"
             and n in next(iter(prev.values()))["results"] and parse_fused_name(n)[1] in (None, 1.0)]
    rows = [[ds, f"{r['results']['bm25']['ndcg10']:.4f}",
             *(f"{prev[ds]['results'][n]['ndcg10']:.4f} / {r['results'][n]['ndcg10']:.4f}" for n in names)]
            for ds, r in cur.items() if ds in prev]
    return md_table(["dataset", "BM25", *(f"{n} before / now" for n in names)], rows)


def fusion_weights_table(run: Path) -> list[str]:
    """Sensitivity to the fusion weight (d6), when the evaluation ran several."""
    d = load(run / "datasets.json")
    if not d:
        return []
    ws = sorted(w for c, w in map(parse_fused_name, next(iter(d.values()))["results"]) if c == "d6" and w is not None)
    if len(ws) < 2:
        return []
    cols = [fused_name("d6", w) for w in ws]
    rows = [[ds, *(f"{r['results'][c]['ndcg10']:.4f}" for c in ["bm25", "d6", *cols])] for ds, r in d.items()]
    return md_table(["dataset", "BM25", "d6", *(f"weight {w:g}" for w in ws)], rows)


def calibration_table(run: Path) -> list[str]:
    d = load(run / "calib.json")
    if not d:
        return ["(not run yet)"]
    res = d["scifact-dev"]["results"]
    full = res["d6"]["ndcg10"]
    rows = sorted(((flops(n), n, r["ndcg10"]) for n, r in res.items() if n != "bm25"))
    return md_table(["configuration", "FLOPs", "nDCG@10", "of d6"],
                    [[n, f"{f:.2f}", f"{v:.4f}", f"{v / full:.3f}"] for f, n, v in rows])


def beats_bm25(d: dict, what: str) -> list[str]:
    """Summary lines: on how many datasets d6 alone and d6 fused beat BM25."""
    out = []
    k = next(iter(d.values()))["k"]
    for ref, label in (("d6", "the full configuration d6 alone"), (fused_name("d6", 1), "d6 fused with BM25 (weight 1)")):
        if not all(ref in r["results"] for r in d.values()):
            continue
        lost = [ds for ds, r in d.items() if not r["results"][ref]["ndcg10"] > r["results"]["bm25"]["ndcg10"]]
        out.append(f"* {what}, re-ranking BM25 top-{k}, {label} beats BM25 on {len(d) - len(lost)} of {len(d)} datasets"
                   + (f"; NOT on {', '.join(lost)}." if lost else "."))
    return out


def summary(run: Path, configs: list[str]) -> list[str]:
    """Claims computed from the JSON files (no number typed by hand)."""
    out = []
    stages = ablation_stages(run)
    if len(stages) >= 3:
        means = [sum(d["scifact-dev"]["results"][c]["ndcg10"] for c in configs) / len(configs) for _, d in stages]
        gains = all(b > a for a, b in zip(means, means[1:]))
        chain = " -> ".join(f"{n.removeprefix('+ ')} {m:.4f}" for (n, _), m in zip(stages, means))
        out.append(f"* Ablation (scifact dev, top-20, mean nDCG@10 over {len(configs)} configurations): {chain}"
                   + (": each step adds its gain." if gains else ": NOT every step shows a gain."))
    every = load(run / "datasets-all.json")
    if every:
        out += beats_bm25(every, "All queries of every dataset")
    d = load(run / "datasets.json")
    if d:
        out += beats_bm25(d, f"The {max(r['queries'] for r in d.values())}-query samples")
        names = [n for n in next(iter(d.values()))["results"] if n not in ("bm25", "d6") and "+" not in n]
        for n in names:
            f = flops(n)
            if round(f, 2) > 0.5:
                continue
            parts = []
            for c, ref in ((n, "d6"), (fused_name(n, 1), fused_name("d6", 1))):
                if all(c in r["results"] and ref in r["results"] for r in d.values()):
                    rel = mean_ratio(d, c, ref)
                    parts.append(f"{'fused' if '+' in c else 'alone'} {rel:.3f}" + (" (>= 0.97)" if rel >= 0.97 else " (< 0.97)"))
            out.append(f"  * {n} ({f:.2f} FLOPs) keeps, of d6, on average over those datasets: " + ", ".join(parts) + ".")
    return out or ["(no results yet)"]


def training_chain(record: dict) -> str:
    """A manifest's `training` record as text, newest run first, then what it continued from."""
    stages = ", ".join(f"{n} {st['steps']} steps / {st['minutes']} min" for n, st in record.get("stages", {}).items())
    text = f"{stages} (`{record['command']}`)" if record.get("command") else stages
    prev = record.get("continuedFrom", {}).get("training")
    return text + (f"; continued from a bundle trained {training_chain(prev)}" if prev else "")


def commands_of(run: Path, file: str, fallback: str) -> list[str]:
    """The commands that wrote an evaluation file (mrr.evaluate records one per dataset; a file
    merged from several runs has several), else `fallback`."""
    d = load(run / file)
    cmds = list(dict.fromkeys(r["command"] for r in d.values() if r.get("command"))) if d else []
    return [f".venv/bin/{c}" for c in cmds] or [fallback]


def general_section(run: Path, zs: dict | None) -> list[str]:
    """The model alone against BM25 and the zero-shot scorers (all queries; mrr/report_general.py)."""
    coll, qa = load(run / "datasets-all.json"), load(run / "qa-dev.json")
    if not coll and not qa:
        return []
    out = ["## General domain: the model alone against BM25, the embedder's cosine and the teacher", "",
           "All queries with judgements, BM25 top-100 re-ranked, nDCG@10. Cosine and teacher are zero-shot",
           "(tools/teacher_zero_shot.py, same candidates): the label-free scorers the student learnt from.", "",
           *report_general.claims(coll, qa, zs), ""]
    if coll:
        out += ["Shared collections:", "", *report_general.table(coll, zs), ""]
    if qa:
        out += ["QA dev splits (20% of each set's queries, never trained on):", "", *report_general.table(qa, zs), ""]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", default="runs/main")
    p.add_argument("--out", default="RESULTS.md")
    p.add_argument("--configs", help="ablation configurations (default: runs/<run>/ablation-configs.txt)")
    p.add_argument("--script", default="scripts/train-all.sh", help="the script that made the run (for the text)")
    p.add_argument("--run-label", help="the run folder the files were copied from (for the text; default --run)")
    p.add_argument("--bundle", help="the shipped bundle: its manifest's training record describes the runs")
    p.add_argument("--zero-shot", default="results/teacher-zero-shot.json",
                   help="tools/teacher_zero_shot.py's file: BM25, cosine and teacher on the same candidates")
    a = p.parse_args()
    run = Path(a.run)
    configs = (a.configs or (run / "ablation-configs.txt").read_text().strip()).split(",")
    meta = {s: load(run / f"{s}.json") for s in ("naive", "distill", "compensate")}
    train = ", ".join(f"{s} {m['steps']} steps / {m['minutes']} min" for s, m in meta.items() if m)
    init = next((m["config"].get("init") for m in meta.values() if m and m["config"].get("init")
                 and not str(m["config"]["init"]).endswith(".pt")), None)
    evals = [f for _, f in ABLATION_STAGES] + ["calib.json", "qa-dev.json", "datasets-all.json", "datasets.json", "datasets-previous.json", "datasets-q128.json"]
    cmds = [c for f in evals if (run / f).exists() for c in commands_of(run, f, f"(run by {a.script})")]
    q128 = datasets_table(run, "datasets-q128.json") if (run / "datasets-q128.json").exists() else []
    weights, previous = fusion_weights_table(run), previous_table(run)
    all_queries = load(run / "datasets-all.json")
    every = datasets_table(run, "datasets-all.json") + merged_note(all_queries) if all_queries else []
    general = general_section(run, load(Path(a.zero_shot)))
    if a.bundle:
        chain = training_chain(json.loads((Path(a.bundle) / "manifest.json").read_text())["training"])
        made = [f"Training, newest run first: {chain}. Stages are time-boxed, so step counts are what the",
                "time boxes allowed on this machine."]
    else:
        made = [f"Training: {train} (`bash {a.script} {a.run_label or a.run}`; stages are time-boxed, so step counts",
                "are what the time boxes allowed on this machine)"
                + (f"; this run continued from the bundle `{init}` (--bundle describes its training too)." if init else ".")]
    text = [
        "# Trainer results", "",
        "Every number below is printed by the commands shown, run on this repo's shipped model",
        "(`models/minilm-l6-scifact`, weights rounded exactly as exported). Hardware: 2 CPU cores, no GPU.",
        *made, "",
        "## Summary (computed from the tables below)", "",
        *summary(run, configs), "",
        *general,
        "## Ablation", "",
        "Same 51 scifact dev queries (seed 0) and configurations for every checkpoint; the last",
        "column is read from the calibration run (its grid holds every configuration).", "",
        *ablation_table(run, configs), "",
        *(["## Every dataset, all queries (BM25 top-100 re-ranked)", "",
           "Every query with relevance judgements (scifact: its dev split), the full configuration alone and",
           "fused with BM25 (weight 1, fixed beforehand):", "", *every, ""] if every else []),
        "## Every dataset (BM25 top-100 re-ranked)" + (", samples of up to 40 queries" if every else ""), "",
        "Each configuration alone and fused with BM25 (`+bm25`: z(model) + z(BM25) over the 100",
        "candidates, weight 1 fixed beforehand, not tuned; mrr/fusion.py, src/fusion.ts). The last row",
        "is each column's mean ratio to the full configuration: d6 for the model alone, d6+bm25 fused.", "",
        *datasets_table(run), "",
        *(["Fusion weight sensitivity (d6):", "", *weights, ""] if weights else []),
        *(["The bundle this run continued from, same queries, before / now:", "",
           *previous, ""] if previous else []),
        *(["Longer queries on cisi (maxQueryTokens 128 instead of the bundle's 61; half of cisi's queries are longer than 61 tokens):", "",
           *q128, ""] if q128 else []),
        "## Calibration table (in the manifest)", "",
        *calibration_table(run), "",
        "## Commands", "",
        "```bash", "cd trainer", *cmds,
        f".venv/bin/python -m mrr.report --run {a.run} --script {a.script}" + (f" --run-label {a.run_label}" if a.run_label else "")
        + (f" --bundle {a.bundle}" if a.bundle else "") + " --out RESULTS.md",
        "```", "",
    ]
    Path(a.out).write_text("\n".join(text) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
