"""Compression semantics, exits and adapters on a tiny random model."""
import torch

from mrr.data import build_rows
from mrr.model import SubArch, compress, merge_groups, relative_flops
from mrr.tiny import TINY, tiny_model


def rows():
    q = [[1000 + i for i in range(3)], [2000, 2001]]
    p = [[3000 + i for i in range(10)], [4000 + i for i in range(5)]]
    return build_rows(q, p)


def test_merge_groups_layout():
    # row 0: [CLS] q q q [SEP] p*10 [SEP] -> start 5, passage 5..14, final SEP at 15
    g, new_p, t_out = merge_groups(torch.tensor([3, 2]), torch.tensor([10, 5]), 16, 4)
    assert g[0].tolist() == [0, 1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 8]
    # row 1: start 4, passage 4..8 (5 tokens -> 2 slots), SEP at 9 -> slot 6, pads dropped
    assert g[1].tolist() == [0, 1, 2, 3, 4, 4, 4, 4, 5, 6, -1, -1, -1, -1, -1, -1]
    assert new_p.tolist() == [3, 2] and t_out == 9


def test_compress_weighted_and_mean():
    x = torch.arange(2 * 4 * 1, dtype=torch.float32).view(2, 4, 1)  # [B=2,T=4,H=1]
    group = torch.tensor([[0, 1, 1, -1], [0, 0, 1, 1]], dtype=torch.float32)
    w = torch.tensor([[1.0, 1.0, 3.0, 5.0], [1.0, 1.0, 1.0, 1.0]])
    out = compress(x, w, group, torch.arange(2.0))
    assert torch.allclose(out[0, :, 0], torch.tensor([0.0, (1 * 1 + 2 * 3) / 4]), atol=1e-5)  # pad ignored
    assert torch.allclose(out[1, :, 0], torch.tensor([4.5, 6.5]), atol=1e-5)  # plain mean


def test_kept_tokens_unchanged_by_compression():
    r = rows()
    g, _, t_out = merge_groups(r.q_lens, r.p_lens, r.input_ids.shape[1], 2)
    x = torch.randn(2, r.input_ids.shape[1], 8)
    w = torch.rand(2, x.shape[1])
    out = compress(x, w, g, torch.arange(float(t_out)))
    assert torch.allclose(out[0, :5], x[0, :5], atol=1e-5)  # [CLS] query [SEP] of row 0
    w5, w6 = w[0, 5] + 1e-6, w[0, 6] + 1e-6
    assert torch.allclose(out[0, 5], (w5 * x[0, 5] + w6 * x[0, 6]) / (w5 + w6), atol=1e-5)  # first merged pair


def test_every_exit_scores_and_depth_matches_prefix():
    m = tiny_model(adapters=False)
    r = rows()
    with torch.no_grad():
        full = m(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(4))
        d2 = m(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(2))
    assert sorted(full) == [2, 3, 4] and all(s.shape == (2,) for s in full.values())
    assert torch.allclose(full[2], d2[2], atol=1e-5)  # zero adapters: a shallow exit is a prefix


def test_adapter_on_off_equivalence():
    m = tiny_model(adapters=True)
    r = rows()
    args = (r.input_ids, r.token_type_ids, r.q_lens, r.p_lens)
    with torch.no_grad():
        on = m(*args, SubArch(3))[3]
        off = m(*args, SubArch(3), use_adapters=False)[3]
        for n, p in m.named_parameters():
            if n.endswith(".B"):
                p.zero_()
        zeroed = m(*args, SubArch(3))[3]
    assert not torch.allclose(on, off, atol=1e-4)  # the vertical adapter changes depth-3 scores
    assert torch.allclose(zeroed, off, atol=1e-6)  # a zero adapter is exactly the base


def test_adapter_selection_rules():
    a = SubArch(3, (2,), 4).plan(TINY)  # TINY has 4 layers
    assert a[0].adapters == ("vertical",) and a[1].adapters == ("vertical", "h4")
    b = SubArch(4, (3,), 2).plan(TINY)
    assert b[1].adapters == () and b[2].adapters == ("h2",)
    assert SubArch(4).plan(TINY)[0].adapters == ()


def test_compression_compounds_and_cuts_flops():
    once = relative_flops(SubArch(6, (2,), 2), __import__("mrr.model").model.ModelConfig(), 16, 192)
    twice = relative_flops(SubArch(6, (2, 4), 2), __import__("mrr.model").model.ModelConfig(), 16, 192)
    assert 0.4 < twice < once < 0.75
    m = tiny_model()
    r = rows()
    st = []
    with torch.no_grad():
        m(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(4, (2, 3), 2), states=st)
    assert [s.p_lens.tolist() for s in st] == [[10, 5], [5, 3], [3, 2], [3, 2]]


def test_pooling_row_only_is_the_full_layers_first_row():
    # keep=[0] (a plan's last layer): the [CLS] output of the full layer, every token still attended
    m = tiny_model(adapters=True)
    x, mask = torch.randn(2, 9, TINY.hidden), torch.ones(2, 9)
    mask[1, 6:] = 0
    lora = m.lora_for(2, list(m.cfg.adapter_names[:1]))
    with torch.no_grad():
        full, cls_full = m.layers[1](x, mask, lora)
        one, cls_one = m.layers[1](x, mask, lora, torch.zeros(1, dtype=torch.long))
    assert one.shape == (2, 1, TINY.hidden)
    assert torch.allclose(one[:, 0], full[:, 0], atol=1e-5) and torch.allclose(cls_one, cls_full, atol=1e-6)


def test_last_layer_flops_count_the_pooling_row_only():
    # the last layer computes keys and values of every token but the rest for one: d6 of 6 costs
    # less than 6 full layers, and a shallower exit less than its share of full layers
    cfg = TINY
    full = relative_flops(SubArch(cfg.layers), cfg, 10, 100)
    half = relative_flops(SubArch(cfg.layers // 2), cfg, 10, 100)
    assert full == 1.0 and half < (cfg.layers // 2) / cfg.layers
