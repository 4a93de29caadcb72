"""Inverse-cloze pseudo-queries (Lee et al., 2019) from the training corpus, label-free.

A span of one to three consecutive sentences is cut out of a document's abstract; the span is
the query and the document without it (title + the rest) is its positive. These queries are
long, full sentences, unlike scifact's short claims and the title pseudo-queries: the kind of
query the classic collections ask (cisi's average about 60 tokens). Each chosen document gives
one span, so the whole corpus with the spans removed is one consistent corpus to search (BM25
and the external teacher score exactly the texts the student sees).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .data import passage_text

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def sentences(text: str) -> list[str]:
    """Split on sentence-final punctuation followed by a capital, digit or parenthesis."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


@dataclass
class InverseCloze:
    queries: list[str]  # the cut spans
    positives: list[int]  # the document each span was cut from
    corpus: list[str]  # every document's passage text, the chosen ones without their span


def inverse_cloze(titles: list[str], abstracts: list[str], n: int, seed: int = 13,
                  min_words: int = 15, max_words: int = 60, min_rest: int = 2) -> InverseCloze:
    """Up to n documents (seeded choice) whose abstract has a 1-3 sentence span of min_words to
    max_words words and keeps at least min_rest sentences after the cut."""
    if len(titles) != len(abstracts):
        raise ValueError(f"inverse_cloze: {len(titles)} titles but {len(abstracts)} abstracts; pass one of each per document")
    rng = random.Random(seed)
    corpus = [passage_text(t, a) for t, a in zip(titles, abstracts)]
    order = list(range(len(titles)))
    rng.shuffle(order)
    queries, positives = [], []
    for i in order:
        if len(queries) >= n:
            break
        sents = sentences(abstracts[i])
        spans = [(a, b) for a in range(len(sents)) for b in range(a + 1, min(a + 3, len(sents)) + 1)
                 if min_words <= sum(len(s.split()) for s in sents[a:b]) <= max_words
                 and len(sents) - (b - a) >= min_rest]
        if not spans:
            continue
        a, b = rng.choice(spans)
        queries.append(" ".join(sents[a:b]))
        positives.append(i)
        corpus[i] = passage_text(titles[i], " ".join(sents[:a] + sents[b:]))
    return InverseCloze(queries, positives, corpus)
