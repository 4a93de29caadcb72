"""The per-layer plan (SubArch.plan): its rules, and agreement with the plans golden.json carries
(the runtime's src/plan.ts checks the same files: test/plan.test.ts)."""
import json
import shutil
from pathlib import Path

import pytest

from mrr.bundle_import import check_golden, config_of, load_bundle
from mrr.golden import add_plans, arch_from_json, plan_json
from mrr.model import Compression, LayerStep, ModelConfig, SubArch
from mrr.tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
TINY_BUNDLE = ROOT / "test" / "fixtures" / "tiny"
SHIPPED = ROOT / "models" / "minilm-l6-scifact"
BUNDLES = [TINY_BUNDLE] + ([SHIPPED] if (SHIPPED / "golden.json").exists() else [])


def test_one_step_per_layer_the_last_exits():
    assert SubArch(3, (2, 3), 2, "mean").plan(TINY) == [
        LayerStep(1, None, ("vertical",), False),
        LayerStep(2, Compression(2, "mean"), ("vertical", "h2"), False),
        LayerStep(3, Compression(2, "mean"), ("vertical", "h2"), True),
    ]


def test_depth_one():
    assert SubArch(1).plan(ModelConfig(layers=1, first_exit=1)) == [LayerStep(1, None, (), True)]
    assert SubArch(1).plan(TINY) == [LayerStep(1, None, ("vertical",), True)]


def test_compression_at_the_exit_layer_ratio_8():
    assert SubArch(4, (4,), 8).plan(TINY) == [
        LayerStep(1, None, (), False), LayerStep(2, None, (), False), LayerStep(3, None, (), False),
        LayerStep(4, Compression(8, "attention"), ("h8",), True)]
    assert [s.to_json() for s in SubArch(2, (2,), 8, "mean").plan(TINY)] == [
        {"layer": 1, "compress": None, "adapters": ["vertical"], "exits": False},
        {"layer": 2, "compress": {"ratio": 8, "mode": "mean"}, "adapters": ["vertical", "h8"], "exits": True}]


def test_ratio_one_is_no_compression():
    assert SubArch(3, (2,), 1).plan(TINY) == SubArch(3).plan(TINY)


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_plans_equal_the_golden_plans(bundle):
    m = json.loads((bundle / "manifest.json").read_text())
    golden = json.loads((bundle / m["golden"]).read_text())
    assert len(golden["cases"]) >= 10
    for case in golden["cases"]:
        assert plan_json(arch_from_json(case["config"]), config_of(m)) == case["plan"], case["name"]


def test_a_golden_plan_that_differs_is_refused():
    model = load_bundle(TINY_BUNDLE, verify=False)
    golden = json.loads((TINY_BUNDLE / "golden.json").read_text())
    assert check_golden(model, golden, "tiny") < 1e-5
    case = next(c for c in golden["cases"] if c["name"] == "d3")
    case["plan"] = [{**s, "adapters": []} for s in case["plan"]]
    with pytest.raises(ValueError, match="golden case d3 was planned as"):
        check_golden(model, golden, "tampered")


def test_add_plans_restores_the_fixture_byte_for_byte(tmp_path):
    """A bundle without plans gets them with every other byte of golden.json kept, and only the
    manifest's golden.json entry refreshed."""
    out = tmp_path / "tiny"
    shutil.copytree(TINY_BUNDLE, out)
    golden = json.loads((out / "golden.json").read_text())
    for c in golden["cases"]:
        del c["plan"]
    (out / "golden.json").write_text(json.dumps(golden))
    assert add_plans(out) == len(golden["cases"])
    for f in ("golden.json", "manifest.json"):
        assert (out / f).read_bytes() == (TINY_BUNDLE / f).read_bytes(), f
