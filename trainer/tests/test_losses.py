import torch

from mrr.data import build_rows
from mrr.losses import listwise_kd, supervised_contrastive
from mrr.model import SubArch
from mrr.tiny import tiny_model


def test_listwise_kd_zero_at_teacher_and_positive_elsewhere():
    t = torch.tensor([[3.0, 1.0, 0.0]])
    kl_floor = listwise_kd(t.clone(), t)  # cross-entropy = teacher entropy at the optimum
    assert listwise_kd(torch.tensor([[0.0, 1.0, 3.0]]), t) > kl_floor + 0.5


def test_losses_fall_on_a_toy_batch():
    torch.manual_seed(0)
    m = tiny_model(adapters=False).train()
    q = [[1000, 1001, 1002]] * 4
    p = [[2000 + 7 * i + j for j in range(6)] for i in range(4)]
    r = build_rows(q, p)
    opt = torch.optim.Adam([p for n, p in m.named_parameters() if not n.startswith("adapters")], lr=3e-3)
    losses = []
    for _ in range(30):
        s = m(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(4), use_adapters=False)
        teacher = s[4].detach().view(1, 4)
        loss = supervised_contrastive(s[4].view(1, 4)) + listwise_kd(s[2].view(1, 4), teacher)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


def test_student_loss_adds_the_external_teacher_only_when_weighted():
    from mrr.losses import listwise_kd
    from mrr.train import TrainConfig, student_loss
    torch.manual_seed(0)
    s, t, ext = torch.randn(2, 8), torch.randn(2, 8), torch.randn(2, 8)
    base = student_loss(TrainConfig(student_ext_weight=0.0), s, t, ext)
    mixed = student_loss(TrainConfig(student_ext_weight=0.5), s, t, ext)
    assert torch.allclose(mixed - base, 0.5 * listwise_kd(s, ext, 1.0))


def test_groups_alone_score_as_the_padded_batch():
    """forward_groups on a CPU runs each group padded to its own longest row; the scores must be
    those of the whole batch padded to the longest row of all (padding is masked)."""
    from mrr.train import TrainConfig, forward_groups
    torch.manual_seed(0)
    m = tiny_model()
    cfg = TrainConfig(queries_per_step=2, group=3)
    qs = [[5, 6, 7]] * 3 + [[8, 9]] * 3
    ps = [[20 + i for i in range(n)] for n in (4, 9, 2, 40, 31, 25)]
    rows = build_rows(qs, ps)
    for arch in (SubArch(4), SubArch(4, (2,), 2), SubArch(3, (2,), 4, "mean")):
        whole = m(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch)
        alone = forward_groups(cfg, m, rows, arch)
        assert set(whole) == set(alone)
        for e in whole:
            assert alone[e].shape == (2, 3)
            torch.testing.assert_close(alone[e], whole[e].view(2, 3), atol=1e-5, rtol=1e-4)
