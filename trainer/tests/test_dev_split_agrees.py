"""The scifact dev split (docs/dev-split.md) is the same in TypeScript and Python.

Runs `node --import tsx bench/tools/dev-ids.ts` (tools/data/dev-split.ts) and compares it with a
pure-Python FNV-1a written here from the spec, on scifact's train queries and on test vectors.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCIFACT = REPO.parent / "shared" / "datasets" / "scifact"
DEV_TOOL = "bench/tools/dev-ids.ts"


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def is_dev(query_id: str) -> bool:
    return fnv1a32(query_id) % 8 == 0


def node(*args: str, stdin: str | None = None) -> str:
    if shutil.which("node") is None or not (REPO / "node_modules" / "tsx").exists():
        pytest.skip("node or the npm dependencies (tsx) are missing: run `npm ci` first")
    proc = subprocess.run(["node", "--import", "tsx", DEV_TOOL, *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, f"{DEV_TOOL} failed ({proc.returncode}): {proc.stderr}"
    return proc.stdout


def test_python_fnv_matches_published_vectors():
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_hashes_agree_on_awkward_ids():
    ids = ["", "a", "foobar", "0", "1", "42", "é", "日本語", "emoji-😀", "a b", "MED-10", "PLAIN-2-1"]
    ids += [str(i) for i in range(200)]
    out = node("--hash", stdin="".join(f"{i}\n" for i in ids)).splitlines()
    assert len(out) == len(ids)
    for query_id, line in zip(ids, out):
        hash_text, side = line.split("\t")
        assert int(hash_text) == fnv1a32(query_id), query_id
        assert side == ("dev" if is_dev(query_id) else "test"), query_id


@pytest.mark.skipif(not SCIFACT.exists(), reason=f"{SCIFACT} not found")
def test_dev_split_agrees_on_scifact():
    judged = set()
    with open(SCIFACT / "qrels" / "train.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            if line.strip():
                judged.add(line.split("\t")[0])
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as f:
        ordered = [json.loads(line)["_id"] for line in f if line.strip()]
    expected = [qid for qid in ordered if qid in judged and is_dev(qid)]
    got = node("--dataset", str(SCIFACT), "--split", "train").split()
    assert got == expected
    # The split is neither empty nor everything: about 1/8 of the judged queries.
    assert 0.08 < len(expected) / len(judged) < 0.18
