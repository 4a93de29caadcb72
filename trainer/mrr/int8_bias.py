"""Bias correction of int8 layers (Nagel et al., 2019, "Data-Free Quantization Through Weight
Equalization and Bias Correction", the empirical variant): the int8 graphs' products carry a
systematic error per output channel (weight rounding times inputs whose mean is not zero, plus the
run-time rounding of the inputs). Layer by layer, in order, each product's mean output error
against the float16 weights on the same unrounded inputs is measured on calibration rows and
added to its bias (biases stay float32 in the graphs, so the correction costs nothing at run time).
Later layers are measured with the earlier ones already corrected.

Calibration rows: training queries of a BEIR folder (never its dev queries) and their BM25 top-k.
"""
from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from .data import Beir, Encoder, Rows, is_dev, dev_modulus
from .model import MatryoshkaReranker, SubArch, lengths_mask


def calibration_rows(enc: Encoder, ds: Beir, name: str, queries: int = 40, k: int = 20, seed: int = 1) -> list[Rows]:
    """One batch per query: `queries` training queries of `ds` (dev held out) with their BM25 top-k."""
    from .evaluate import bm25_candidates
    qids = sorted(q for q in ds.qrels if not is_dev(q, dev_modulus(name)))
    random.Random(seed).shuffle(qids)
    qids = qids[:queries]
    cands = bm25_candidates(ds, qids, k)
    return [enc.pairs(ds.queries[q], [ds.doc_texts[d] for d, _ in cands[q]]) for q in qids]


@torch.no_grad()
def correct_biases_(model: MatryoshkaReranker, reference: MatryoshkaReranker, batches: list[Rows]) -> list[float]:
    """Add to every layer product's bias of `model` (int8 weights, its run-time rounding simulated
    here) its mean output error against the same product of `reference` (float16). Runs as d6
    does: no adapters, the last layer on the pooling row. Returns the mean |correction| per layer."""
    from .int8 import simulate_int8
    L = model.cfg.layers
    sizes = []
    model.eval()
    with simulate_int8(model):
        for l in range(L):
            sums: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
            raw: dict[str, torch.Tensor] = {}
            mask: dict[str, torch.Tensor] = {}
            hooks = []
            for name, lin in model.layers[l].named_children():
                if not isinstance(lin, torch.nn.Linear):
                    continue
                ref = getattr(reference.layers[l], name)

                def keep_raw(_m, args, name=name):  # before the rounding hook (prepended)
                    raw[name] = args[0].detach()

                def measure(_m, _args, out, name=name, ref=ref):
                    err = F.linear(raw[name], ref.weight, ref.bias) - out  # [B,n,out]
                    m = mask["rows"] if err.shape[1] == mask["rows"].shape[1] else torch.ones(err.shape[:2])
                    s, c = sums.get(name, (0.0, 0.0))
                    sums[name] = (s + (err * m[:, :, None]).sum((0, 1)), c + m.sum())

                hooks += [lin.register_forward_pre_hook(keep_raw, prepend=True), lin.register_forward_hook(measure)]
            # layer l+1 runs on every row unless it is the last one (d6 computes its pooling row only)
            depth = min(l + 2, L)
            for r in batches:
                mask["rows"] = lengths_mask(r.q_lens + r.p_lens + 3, r.input_ids.shape[1])
                model(r.input_ids, r.token_type_ids, r.q_lens, r.p_lens, SubArch(depth), exits=set(), use_adapters=False)
            for h in hooks:
                h.remove()
            fixes = []
            for name, (s, c) in sums.items():
                fix = s / c
                getattr(model.layers[l], name).bias.add_(fix)
                fixes.append(float(fix.abs().mean()))
            sizes.append(sum(fixes) / len(fixes))
    return sizes
