"""mrr.report_general: the general-domain claims are computed from the files, ties are not wins."""
from mrr.report_general import claims, table, zero_shot

ZS = {"best": "0.75,1.5", "datasets": {
    "a": {"queries": 4, "ndcg10": {"1,0": 0.5, "0,1": 0.6, "0.75,1.5": 0.65}},
    "q": {"queries": 9, "ndcg10": {"1,0": 0.5, "0,1": 0.7, "0.75,1.5": 0.68}}}}


def ev(rows):
    return {ds: {"queries": q, "k": 100, "results": {n: {"ndcg10": v} for n, v in res.items()}} for ds, q, res in rows}


def test_zero_shot_reads_cosine_and_the_chosen_teacher():
    assert zero_shot(ZS)["q"] == {"queries": 9, "bm25": 0.5, "cosine": 0.7, "teacher": 0.68}


def test_claims_mark_each_must_show_line():
    coll = ev([("a", 4, {"bm25": 0.5, "d6": 0.6, "d3": 0.59}), ("b", 3, {"bm25": 0.5, "d6": 0.5, "d3": 0.49})])
    qa = ev([("q", 9, {"bm25": 0.5, "d6": 0.69, "d3": 0.6})])
    lines = claims(coll, qa, ZS)
    assert lines[0].endswith("d6 alone beats BM25 on 1 of 2 (NOT on b): does NOT hold.")  # a tie is not a win
    assert "d3 (0.42 FLOPs): 0.982 of d6 alone on average (>= 0.97: holds); beats BM25 on 1 of 2 (>= 4: does NOT hold)." in lines[1]
    assert lines[2].endswith("beats BM25 on 1 of 1: holds.")
    assert lines[3].endswith("on 0 of 1 (NOT: q 0.6900 < 0.7000): does NOT hold.")


def test_table_leaves_zero_shot_out_where_the_queries_differ():
    t = table(ev([("a", 4, {"bm25": 0.5, "d6": 0.6}), ("q", 8, {"bm25": 0.5, "d6": 0.6})]), ZS)
    assert t[2] == "| a | 4 | 0.5000 | 0.6000 | 0.6500 | 0.6000 |"
    assert t[3] == "| q | 8 | 0.5000 | – | – | 0.6000 |"
