"""Hybrid scoring (mrr/fusion.py): the rule the runtime mirrors in src/fusion.ts."""
import numpy as np
import pytest

from mrr.fusion import fuse, fused_name, parse_fused_name, zscore


def test_zscore_centres_and_scales():
    z = zscore([1, 2, 3, 4])
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12
    assert zscore([5, 5, 5]).tolist() == [0, 0, 0] and zscore([7]).tolist() == [0]


def test_fuse_is_scale_free_and_weighted():
    model, bm25 = np.array([2.0, 0.0, 1.0]), np.array([10.0, 30.0, 20.0])
    assert np.allclose(fuse(model, bm25), fuse(7 * model - 3, bm25 / 4 + 100))
    assert np.argmax(fuse(model, bm25, 0)) == 0 and np.argmax(fuse(model, bm25, 100)) == 1
    assert fuse(model, bm25, 0.5)[0] == pytest.approx(0.5 * np.sqrt(1.5))  # same hand value as test/fusion.test.ts
    with pytest.raises(ValueError, match="one per candidate"):
        fuse([1, 2], [1])


def test_fused_names():
    assert fused_name("d6", 1) == "d6+bm25" and fused_name("d3", 0.5) == "d3+bm25x0.5"
    for config, w in (("d6", 1.0), ("d4-c3-r8", 0.5), ("d3", 2.0)):
        assert parse_fused_name(fused_name(config, w)) == (config, w)
    assert parse_fused_name("d6-c2-r4") == ("d6-c2-r4", None)
