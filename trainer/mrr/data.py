"""BEIR folders, the shared dev split, tokenization to the bundle's row layout, BM25 candidates."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

MAX_QUERY_TOKENS = 61
MAX_PASSAGE_TOKENS = 192
CLS, SEP, PAD = 101, 102, 0


@dataclass
class Beir:
    doc_ids: list[str]
    doc_texts: list[str]  # "title text"
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # qid -> docid -> grade (> 0 relevant)


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not valid JSON ({e.msg}); each line must be one JSON object") from e


def passage_text(title: str | None, text: str | None) -> str:
    """How a BEIR document becomes one passage string (shared with the TypeScript side)."""
    return f"{title or ''} {text or ''}".strip()


def load_beir(folder: str | os.PathLike, split: str) -> Beir:
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        have = sorted(p.stem for p in (folder / "qrels").glob("*.tsv")) if (folder / "qrels").is_dir() else []
        raise FileNotFoundError(f"{qrels_path} not found: split must be one of {have}")
    doc_ids, doc_texts = [], []
    for d in _jsonl(folder / "corpus.jsonl"):
        doc_ids.append(str(d["_id"]))
        doc_texts.append(passage_text(d.get("title"), d.get("text")))
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                qrels.setdefault(parts[0], {})[parts[1]] = int(float(parts[2]))
    qrels = {q: r for q, r in qrels.items() if q in queries}
    return Beir(doc_ids, doc_texts, queries, qrels)


def fnv1a32(s: str) -> int:
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def is_dev(query_id: str, modulus: int = 8) -> bool:
    """The dev split of a training set's queries (docs/dev-split.md): FNV-1a(id) % modulus == 0.
    scifact uses 8 (102 of 809 queries); the question-answering sets use QA_DEV_MODULUS."""
    return fnv1a32(query_id) % modulus == 0


QA_DEV_MODULUS = 5  # 20% of boolq, wikiqa, selqa and qnli queries are held out as dev


def dev_modulus(dataset_name: str) -> int:
    """scifact keeps its 1-in-8 dev split (shared with the benchmarks); every other training set
    holds out 1 in 5."""
    return 8 if dataset_name == "scifact" else QA_DEV_MODULUS


def load_negatives(folder: str | os.PathLike, split: str) -> dict[str, list[str]]:
    """Human-judged NON-relevant passages (`qrels/<split>_negatives.tsv`, score 0): hard negatives
    per query id. Empty when the file is absent. Kept apart from `load_beir`, which treats every
    qrels row it reads as a judgement of relevance."""
    path = Path(folder) / "qrels" / f"{split}_negatives.tsv"
    out: dict[str, list[str]] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as f:
        next(f, None)  # header
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                if float(parts[2]) > 0:
                    raise ValueError(f"{path}: query {parts[0]} doc {parts[1]} has score {parts[2]}; "
                                     "a negatives file holds score-0 rows only")
                out.setdefault(parts[0], []).append(parts[1])
    return out


# ---- tokenization ------------------------------------------------------------------------

def load_tokenizer(path: str | os.PathLike) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


@dataclass
class Rows:
    """A padded batch in the bundle's layout: [CLS] q [SEP] p [SEP] pad."""
    input_ids: torch.Tensor  # [B,T] int64
    token_type_ids: torch.Tensor  # [B,T] int64
    q_lens: torch.Tensor  # [B]
    p_lens: torch.Tensor  # [B]
    truncated: list[bool]

    def to(self, device) -> "Rows":
        return Rows(self.input_ids.to(device), self.token_type_ids.to(device), self.q_lens.to(device),
                    self.p_lens.to(device), self.truncated)


def encode_texts(tok: Tokenizer, texts: list[str], limit: int) -> tuple[list[list[int]], list[bool]]:
    encs = tok.encode_batch(texts, add_special_tokens=False)
    ids = [e.ids[:limit] for e in encs]
    return ids, [len(e.ids) > limit for e in encs]


def build_rows(q_ids: list[list[int]], p_ids: list[list[int]], truncated: list[bool] | None = None) -> Rows:
    B = len(q_ids)
    T = max(len(q) + len(p) + 3 for q, p in zip(q_ids, p_ids))
    ids = torch.full((B, T), PAD, dtype=torch.long)
    types = torch.zeros((B, T), dtype=torch.long)
    for b, (q, p) in enumerate(zip(q_ids, p_ids)):
        row = [CLS, *q, SEP, *p, SEP]
        ids[b, : len(row)] = torch.tensor(row)
        types[b, len(q) + 2 : len(row)] = 1
    return Rows(ids, types, torch.tensor([len(q) for q in q_ids]), torch.tensor([len(p) for p in p_ids]),
                truncated or [False] * B)


class Encoder:
    """Caches token ids of queries and passages (tokenize once, batch many times)."""

    def __init__(self, tok: Tokenizer, max_query_tokens: int = MAX_QUERY_TOKENS):
        self.tok = tok
        self.max_query_tokens = max_query_tokens
        self._p: dict[str, tuple[list[int], bool]] = {}

    def passages(self, texts: list[str]) -> list[tuple[list[int], bool]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._p]
        if missing:
            ids, cut = encode_texts(self.tok, missing, MAX_PASSAGE_TOKENS)
            self._p.update(zip(missing, zip(ids, cut)))
        return [self._p[t] for t in texts]

    def pairs(self, query: str, texts: list[str]) -> Rows:
        q = encode_texts(self.tok, [query], self.max_query_tokens)[0][0]
        ps = self.passages(texts)
        return build_rows([q] * len(texts), [p for p, _ in ps], [c for _, c in ps])


# ---- BM25 ----------------------------------------------------------------------------------

class BM25:
    """bm25s over a corpus with English stop words and Snowball stemming."""

    def __init__(self, doc_texts: list[str]):
        import bm25s
        import Stemmer
        self._bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize(doc_texts, stopwords="en", stemmer=self.stemmer, show_progress=False),
                         show_progress=False)
        self.n = len(doc_texts)

    def search(self, queries: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Returns (doc indices [Q,k], scores [Q,k]) best first."""
        k = min(k, self.n)
        qt = self._bm25s.tokenize(queries, stopwords="en", stemmer=self.stemmer, show_progress=False)
        docs, scores = self.index.retrieve(qt, k=k, show_progress=False, n_threads=1)
        return docs, scores
