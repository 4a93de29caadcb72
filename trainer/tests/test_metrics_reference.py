"""bench/metrics.ts agrees with ir-measures (trec_eval formulation) within 1e-6.

Runs of the TypeScript BM25 first stage (bench/tools/bm25-run.ts) on adi (binary grades) and
cranfield (grades 1-5), plus a synthetic run with many tied scores, are evaluated by
bench/tools/eval-run.ts and by ir-measures on the same files; every per-query value must match.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import ir_measures
import pytest
from ir_measures import RR, R, nDCG

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
MEASURES = {"nDCG@10": nDCG @ 10, "RR@10": RR @ 10, "R@10": R @ 10, "R@100": R @ 100}
TOL = 1e-6


def node(script: str, *args: str) -> str:
    if shutil.which("node") is None or not (REPO / "node_modules" / "tsx").exists():
        pytest.skip("node or the npm dependencies (tsx) are missing: run `npm ci` first")
    proc = subprocess.run(["node", "--import", "tsx", script, *args], cwd=REPO, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, f"{script} failed ({proc.returncode}): {proc.stderr}"
    return proc.stdout


def dataset(name: str) -> Path:
    path = DATASETS / name
    if not (path / "corpus.jsonl").exists():
        pytest.skip(f"{path} not found")
    return path


def trec_top(run: list, k: int) -> list:
    """The top k of each query in trec_eval's order: score descending, ties by document id descending."""
    by_query: dict[str, list] = {}
    for doc in run:
        by_query.setdefault(doc.query_id, []).append(doc)
    top = []
    for docs in by_query.values():
        docs.sort(key=lambda d: d.doc_id, reverse=True)
        docs.sort(key=lambda d: d.score, reverse=True)  # stable: keeps id-descending among ties
        top.extend(docs[:k])
    return top


def compare(run_file: Path, name: str, tmp_path: Path, msmarco_rr: bool = True) -> dict[str, float]:
    """Evaluates with eval-run.ts on the BEIR qrels and with ir-measures on the same qrels in TREC form.

    ir-measures computes nDCG and R with pytrec_eval (trec_eval: ties by document id descending) but
    RR@k with its msmarco provider, which breaks ties by document id ascending. bench/metrics.ts
    follows trec_eval everywhere, so RR@10 is also checked as pytrec_eval's RR on the trec_eval top 10;
    ir-measures' own RR@10 is compared only on runs without tied scores (`msmarco_rr`)."""
    qrels_file = as_trec_qrels(name, tmp_path)
    ours = json.loads(node("bench/tools/eval-run.ts", "--run", str(run_file), "--qrels", str(qrels_for(name)),
                           "--ndcg-k", "10", "--mrr-k", "10", "--recall-k", "10,100"))
    qrels = list(ir_measures.read_trec_qrels(str(qrels_file)))
    run = list(ir_measures.read_trec_run(str(run_file)))
    reference: dict[str, dict[str, float]] = {}
    for m in ir_measures.iter_calc([nDCG @ 10, R @ 10, R @ 100], qrels, run):
        reference.setdefault(m.query_id, {})[str(m.measure)] = m.value
    for m in ir_measures.iter_calc([RR], qrels, trec_top(run, 10)):
        reference.setdefault(m.query_id, {})[str(RR @ 10)] = m.value
    assert reference, "ir-measures evaluated no query: the run and qrels share no query id"
    # Both score every qrels query, a query missing from the run as 0.
    assert set(ours["perQuery"]) == set(reference)
    for qid, values in reference.items():
        for name_, measure in MEASURES.items():
            assert ours["perQuery"][qid][name_] == pytest.approx(values.get(str(measure), 0.0), abs=TOL), (qid, name_)
    measures = list(MEASURES.values()) if msmarco_rr else [nDCG @ 10, R @ 10, R @ 100]
    aggregate = ir_measures.calc_aggregate(measures, qrels, run)
    for name_, measure in MEASURES.items():
        if measure in aggregate:
            assert ours["mean"][name_] == pytest.approx(aggregate[measure], abs=TOL), name_
    return ours["mean"]


def has_ties(run_file: Path) -> bool:
    seen: set[tuple[str, str]] = set()
    with open(run_file, encoding="utf-8") as f:
        for line in f:
            qid, _, _, _, score, _ = line.split()
            if (qid, score) in seen:
                return True
            seen.add((qid, score))
    return False


def bm25_run(name: str, tmp_path: Path) -> Path:
    run_file = tmp_path / f"{name}.bm25.trec"
    node("bench/tools/bm25-run.ts", "--dataset", str(dataset(name)), "--split", "test", "--top-k", "100",
         "--out", str(run_file))
    assert run_file.stat().st_size > 0
    return run_file


def qrels_for(name: str) -> Path:
    # ir-measures reads TREC qrels ("qid 0 docid grade"); BEIR's TSV has a header and 3 columns.
    return dataset(name) / "qrels" / "test.tsv"


def as_trec_qrels(name: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{name}.qrels"
    with open(qrels_for(name), encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        next(src)
        for line in src:
            if line.strip():
                qid, docid, grade = line.rstrip("\n").split("\t")
                dst.write(f"{qid} 0 {docid} {grade}\n")
    return out


def test_bm25_run_on_adi(tmp_path: Path):
    run_file = bm25_run("adi", tmp_path)
    mean = compare(run_file, "adi", tmp_path, msmarco_rr=not has_ties(run_file))
    assert 0 < mean["nDCG@10"] < 1


def test_bm25_run_on_graded_cranfield(tmp_path: Path):
    run_file = bm25_run("cranfield", tmp_path)
    mean = compare(run_file, "cranfield", tmp_path, msmarco_rr=not has_ties(run_file))
    assert 0 < mean["nDCG@10"] < 1


def test_tied_scores_and_unjudged_documents(tmp_path: Path):
    """Scores with many ties (trec_eval breaks them by document id, descending), judged
    non-relevant and unjudged documents, queries with fewer than 10 results."""
    qrels_file = as_trec_qrels("cranfield", tmp_path)
    judged: dict[str, list[str]] = {}
    for q in ir_measures.read_trec_qrels(str(qrels_file)):
        judged.setdefault(q.query_id, []).append(q.doc_id)
    rng = random.Random(1234)
    doc_ids = [str(i) for i in range(1, 1401)]
    run_file = tmp_path / "ties.trec"
    with open(run_file, "w", encoding="utf-8") as f:
        for qid in sorted(judged)[:120]:
            pool = rng.sample(judged[qid], k=min(len(judged[qid]), rng.randint(0, 8))) + rng.sample(doc_ids, k=rng.randint(3, 40))
            for rank, docid in enumerate(dict.fromkeys(pool)):
                f.write(f"{qid} Q0 {docid} {rank + 1} {rng.choice([0.5, 1.0, 1.5, 2.0])} ties\n")
    assert has_ties(run_file)
    mean = compare(run_file, "cranfield", tmp_path, msmarco_rr=False)
    assert 0 < mean["nDCG@10"] < 1
