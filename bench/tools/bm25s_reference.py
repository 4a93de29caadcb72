"""bm25s numbers for the same datasets and queries as bench/tools/bm25-table.ts (bench/README.md).

    trainer/.venv/bin/python bench/tools/bm25s_reference.py [--root ../shared/datasets]

Prints nDCG@10 (ir-measures) of bm25s (k1=1.5, b=0.75, method lucene, English stop words) without
stemming (what tools/data/bm25.ts does by default) and with PyStemmer's Snowball English stemmer
(what the trainer uses for its candidates).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import bm25s
import ir_measures
import Stemmer
from ir_measures import nDCG

DATASETS = [("adi", "test", "all"), ("cisi", "test", "all"), ("cranfield", "test", "all"),
            ("medline", "test", "all"), ("scifact", "train", "dev")]


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/datasets")
    args = parser.parse_args()
    print("| dataset | queries | bm25s nDCG@10 (no stemming) | bm25s nDCG@10 (Snowball stemming) |")
    print("|---|---:|---:|---:|")
    for name, split, side in DATASETS:
        folder = Path(args.root) / name
        docs = [json.loads(line) for line in open(folder / "corpus.jsonl", encoding="utf-8") if line.strip()]
        queries = {}
        for line in open(folder / "queries.jsonl", encoding="utf-8"):
            if line.strip():
                q = json.loads(line)
                queries[q["_id"]] = q["text"]
        qrels: dict[str, dict[str, int]] = {}
        with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as f:
            next(f)
            for line in f:
                if line.strip():
                    qid, docid, grade = line.rstrip("\n").split("\t")
                    qrels.setdefault(qid, {})[docid] = int(grade)
        qids = [q for q in queries if q in qrels and (side == "all" or (fnv1a32(q) % 8 == 0) == (side == "dev"))]
        texts = [f"{d['title']} {d['text']}" if d.get("title") else d["text"] for d in docs]
        cells = []
        for stemmer in (None, Stemmer.Stemmer("english")):
            index = bm25s.BM25(k1=1.5, b=0.75)
            index.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
            tokens = bm25s.tokenize([queries[q] for q in qids], stopwords="en", stemmer=stemmer, show_progress=False)
            ids, scores = index.retrieve(tokens, k=min(100, len(docs)), show_progress=False, n_threads=1)
            run = {q: {docs[ids[i, j]]["_id"]: float(scores[i, j]) for j in range(ids.shape[1]) if scores[i, j] > 0}
                   for i, q in enumerate(qids)}
            value = ir_measures.calc_aggregate([nDCG @ 10], {q: qrels[q] for q in qids}, run)[nDCG @ 10]
            cells.append(f"{value:.4f}")
        print(f"| {name} | {len(qids)} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
