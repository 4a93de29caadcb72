"""mrr.report: which file fills which ablation column, for a fresh run and for continued runs."""
import json

from mrr.report import ablation_stages, ablation_table


def write(folder, name, d6):
    (folder / name).write_text(json.dumps({"scifact-dev": {"queries": 3, "k": 20, "results": {
        "bm25": {"ndcg10": 0.5}, "d6": {"ndcg10": d6}, "d3": {"ndcg10": d6 / 2}}}}))


def columns(folder):
    return [(n, d["scifact-dev"]["results"]["d6"]["ndcg10"]) for n, d in ablation_stages(folder)]


def test_a_fresh_run_shows_its_calibration_as_the_compensation_column(tmp_path):
    write(tmp_path, "ablation-naive.json", 0.1)
    write(tmp_path, "ablation-distill.json", 0.2)
    write(tmp_path, "calib.json", 0.3)
    assert columns(tmp_path) == [("naive truncation (exits only)", 0.1), ("+ cascaded self-distillation", 0.2),
                                 ("+ factorized compensation", 0.3)]
    table = "\n".join(ablation_table(tmp_path, ["d6", "d3"]))
    assert "| **mean** |  | 0.0750 | 0.1500 | 0.2250 |" in table


def test_a_continued_run_puts_calibration_after_its_last_distillation(tmp_path):
    for i, f in enumerate(["ablation-naive.json", "ablation-distill.json", "ablation-compensate.json",
                           "ablation-distill-more.json", "ablation-compensate-again.json", "ablation-distill-ict.json"]):
        write(tmp_path, f, i / 10)
    write(tmp_path, "calib.json", 0.9)
    names = [n for n, _ in columns(tmp_path)]
    assert names[-2:] == ["+ distillation with inverse-cloze queries", "+ compensation, third"]
    assert columns(tmp_path)[-1][1] == 0.9 and len(names) == 7


def test_beats_bm25_names_the_datasets_where_it_does_not():
    from mrr.report import beats_bm25
    d = {name: {"k": 100, "queries": 5, "results": {"bm25": {"ndcg10": 0.5}, "d6": {"ndcg10": v},
                                                     "d6+bm25": {"ndcg10": f}}}
         for name, v, f in (("a", 0.6, 0.7), ("b", 0.4, 0.5), ("c", 0.5, 0.51))}
    alone, fused = beats_bm25(d, "All queries")
    assert alone.endswith("d6 alone beats BM25 on 1 of 3 datasets; NOT on b, c.")  # a tie is not a win
    assert fused.endswith("beats BM25 on 2 of 3 datasets; NOT on b.")


def test_training_chain_reads_every_run_newest_first():
    from mrr.report import training_chain
    record = {"stages": {"distill": {"steps": 5, "minutes": 1.0}}, "command": "b.sh",
              "continuedFrom": {"bundle": "x", "training": {"stages": {"naive": {"steps": 7, "minutes": 2.0}},
                                                            "command": "a.sh"}}}
    assert training_chain(record) == ("distill 5 steps / 1.0 min (`b.sh`); continued from a bundle trained "
                                      "naive 7 steps / 2.0 min (`a.sh`)")
