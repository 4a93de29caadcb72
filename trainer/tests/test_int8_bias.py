"""mrr.int8_bias: after the correction, the int8 products' mean output error on the calibration
rows is gone or much smaller (layer 1)."""
import copy

import torch
import torch.nn.functional as F

from mrr.data import build_rows
from mrr.int8 import simulate_int8
from mrr.int8_bias import correct_biases_
from mrr.model import SubArch, lengths_mask
from mrr.precision import quantize_
from mrr.tiny import tiny_model


def batches():
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(3):
        q = [torch.randint(1000, 3000, (4,), generator=g).tolist() for _ in range(3)]
        p = [torch.randint(1000, 3000, (int(n),), generator=g).tolist() for n in (12, 7, 20)]
        out.append(build_rows(q, p))
    return out


@torch.no_grad()
def mean_error(model, reference, rows, layer: int, name: str) -> float:
    """|mean over valid tokens of (float16 product - int8 product)|, averaged over channels."""
    got = {}
    lin = getattr(model.layers[layer], name)
    h1 = lin.register_forward_pre_hook(lambda _m, a: got.__setitem__("x", a[0]), prepend=True)
    h2 = lin.register_forward_hook(lambda _m, _a, o: got.__setitem__("y", o))
    s, c = 0.0, 0.0
    with simulate_int8(model):
        for r in rows:
            model(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(layer + 2),
                  exits=set(), use_adapters=False)
            m = lengths_mask(r.q_lens + r.p_lens + 3, r.input_ids.shape[1])
            ref = getattr(reference.layers[layer], name)
            err = F.linear(got["x"], ref.weight, ref.bias) - got["y"]
            s, c = s + (err * m[:, :, None]).sum((0, 1)), c + m.sum()
    h1.remove(), h2.remove()
    return float((s / c).abs().mean())


def test_bias_correction_removes_the_mean_error():
    model = tiny_model(adapters=False)
    reference = quantize_(copy.deepcopy(model), "float16").eval()
    quantize_(model, "int8")
    rows = batches()
    before = {n: mean_error(model, reference, rows, 0, n) for n in ("q", "ffn_in", "ffn_out")}
    sizes = correct_biases_(model, reference, rows)
    after = {n: mean_error(model, reference, rows, 0, n) for n in ("q", "ffn_in", "ffn_out")}
    assert len(sizes) == model.cfg.layers and all(x > 0 for x in sizes)
    # q reads the layer's input, which the correction leaves alone: its mean error is gone; the
    # products after it see inputs that the same pass's corrections moved: much smaller
    assert before["q"] > 1e-4 and after["q"] < before["q"] / 20, (before["q"], after["q"])
    for n in ("ffn_in", "ffn_out"):
        assert before[n] > 1e-4 and after[n] < before[n] / 3, (n, before[n], after[n])
