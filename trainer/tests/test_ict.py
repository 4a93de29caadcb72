"""Inverse-cloze pseudo-queries (mrr/ict.py): the span leaves its document, nothing else changes."""
import pytest

from mrr.data import passage_text
from mrr.ict import inverse_cloze, sentences

TITLES = ["Vitamin D and infection", "Wing design", "Short one"]
ABSTRACTS = [
    "Vitamin D deficiency is common in winter. We measured serum levels in 500 adults over two years. "
    "Low levels were associated with more respiratory infections in every age group studied here. "
    "Supplements reduced the risk. (Funding was public.)",
    "Swept wings reduce drag at high speed. Wind tunnel tests compared twelve planforms at Mach 0.8 "
    "and found that sweep angles above thirty degrees delayed the onset of shock-induced separation. "
    "Thin sections helped further. Results agree with theory.",
    "Too short to cut.",
]


def test_sentences_split_on_final_punctuation_only():
    assert sentences("It rose 2.5 times. Then (it) fell! Did it? 3 more.") == [
        "It rose 2.5 times.", "Then (it) fell!", "Did it?", "3 more."]


def test_each_span_is_cut_out_of_its_own_document_and_other_documents_are_untouched():
    ic = inverse_cloze(TITLES, ABSTRACTS, n=10, min_words=5)
    assert sorted(ic.positives) == [0, 1]  # the third abstract has no span that leaves 2 sentences
    for q, i in zip(ic.queries, ic.positives):
        assert q in ABSTRACTS[i] and q not in ic.corpus[i]
        assert ic.corpus[i].startswith(TITLES[i])
        assert 5 <= len(q.split()) <= 60
        assert len(sentences(ic.corpus[i][len(TITLES[i]):])) >= 2
    assert ic.corpus[2] == passage_text(TITLES[2], ABSTRACTS[2])
    assert inverse_cloze(TITLES, ABSTRACTS, n=10, min_words=5) == ic  # seeded: the teacher cache stays valid
    assert len(inverse_cloze(TITLES, ABSTRACTS, n=1, min_words=5).queries) == 1


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="one of each per document"):
        inverse_cloze(TITLES, ABSTRACTS[:2], n=1)
