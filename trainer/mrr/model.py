"""Matryoshka re-ranker: a BERT cross-encoder with an exit head at every layer from
`first_exit` up, token compression between layers, and unmerged LoRA adapters.

Semantics here are the contract the TypeScript runtime mirrors (docs/bundle-format.md):
- sequence layout per row: [CLS] query [SEP] passage [SEP] pad...
- compression "at layer l" merges the passage tokens of layer l's *input*, in windows of
  `ratio` consecutive tokens, weighted by the [CLS] token's attention (mean over heads) in
  layer l-1, or by a plain mean. [CLS], query and both [SEP] are kept. Compressing at several
  layers compounds. Positions only enter at the embeddings (BERT), so after merging a row is
  simply re-packed: slot ids restart at 0 and are contiguous.
- adapters: a layer's LoRA delta for a linear W is x @ A @ B, where A = concat of the active
  adapters' A along the rank axis, B likewise (scale folded into B). The vertical adapter is
  active in every layer when depth < num_layers; horizontal adapter h{r} is active in layers at
  and after the first compression layer when ratio r > 1.
- the plan (`SubArch.plan`, src/plan.ts): one `LayerStep` per layer saying all of the above for
  that layer; the forward pass runs it, and golden.json carries it so both sides can check it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

LORA_TARGETS = ("q", "k", "v", "o", "ffn_in", "ffn_out")
MASK_NEG = -1e9  # additive attention bias for padding (same constant in the ONNX graphs)
WEIGHT_EPS = 1e-6  # added to merge weights so a window never has zero total weight
POOLING_ROW = torch.zeros(1, dtype=torch.long)  # `keep` of a plan's last layer: the [CLS] row


@dataclass
class ModelConfig:
    vocab_size: int = 30522
    hidden: int = 384
    layers: int = 6
    heads: int = 12
    intermediate: int = 1536
    max_positions: int = 512
    type_vocab: int = 2
    ln_eps: float = 1e-12
    first_exit: int = 2  # exits at layers first_exit..layers (1-based)
    lora_rank: int = 8
    lora_alpha: float = 16.0
    ratios: tuple[int, ...] = (2, 4, 8)  # one horizontal adapter per ratio > 1

    @property
    def exits(self) -> list[int]:
        return list(range(self.first_exit, self.layers + 1))

    @property
    def adapter_names(self) -> list[str]:
        return ["vertical"] + [f"h{r}" for r in self.ratios]


class Compression(NamedTuple):
    """How a layer's input is merged: windows of `ratio` passage tokens, `attention` or `mean` weights."""
    ratio: int
    mode: str


@dataclass(frozen=True)
class LayerStep:
    """What runs at one layer of a configuration (src/plan.ts `LayerStep`, same JSON)."""
    layer: int  # 1-based
    compress: Compression | None  # merge this layer's input first
    adapters: tuple[str, ...]  # active adapters, in concatenation order
    exits: bool  # the exit head scores this layer's output (the last step)

    def to_json(self) -> dict:
        c = None if self.compress is None else {"ratio": self.compress.ratio, "mode": self.compress.mode}
        return {"layer": self.layer, "compress": c, "adapters": list(self.adapters), "exits": self.exits}


@dataclass(frozen=True)
class SubArch:
    """One configuration: exit depth and optional compression."""
    depth: int
    compress_layers: tuple[int, ...] = ()  # 1-based layers whose input is compressed
    ratio: int = 1
    mode: str = "attention"  # "attention" | "mean"

    @property
    def compressed(self) -> bool:
        return self.ratio > 1 and len(self.compress_layers) > 0

    def plan(self, cfg: ModelConfig) -> list[LayerStep]:
        """One step per layer 1..depth: compression of its input, active adapters, exit."""
        comp = Compression(self.ratio, self.mode) if self.compressed else None
        first = min(self.compress_layers) if comp else cfg.layers + 1
        steps = []
        for l in range(1, self.depth + 1):
            adapters = (("vertical",) if self.depth < cfg.layers else ()) + ((f"h{self.ratio}",) if l >= first else ())
            steps.append(LayerStep(l, comp if comp and l in self.compress_layers else None, adapters, l == self.depth))
        return steps

    @property
    def name(self) -> str:
        if not self.compressed:
            return f"d{self.depth}"
        layers = "-".join(str(l) for l in self.compress_layers)
        m = "" if self.mode == "attention" else "-mean"
        return f"d{self.depth}-c{layers}-r{self.ratio}{m}"


def lora_shapes(cfg: ModelConfig) -> dict[str, tuple[int, int]]:
    h, i = cfg.hidden, cfg.intermediate
    return {"q": (h, h), "k": (h, h), "v": (h, h), "o": (h, h), "ffn_in": (h, i), "ffn_out": (i, h)}


class LoRA(nn.Module):
    """Low-rank delta for one linear: x @ A @ B * scale. B starts at zero (delta = 0)."""

    def __init__(self, d_in: int, d_out: int, rank: int, alpha: float):
        super().__init__()
        self.A = nn.Parameter(torch.randn(d_in, rank) / math.sqrt(d_in))
        self.B = nn.Parameter(torch.zeros(rank, d_out))
        self.scale = alpha / rank

    def factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.A, self.B * self.scale  # scale folded into B, as exported


Lora = dict[str, tuple[torch.Tensor, torch.Tensor]]  # target -> (A [in,R], B [R,out])


def lin(x: torch.Tensor, layer: nn.Linear, lora: Lora | None, target: str) -> torch.Tensor:
    if lora is not None and target in lora and getattr(layer, "int8_merge", False):
        from .int8_merge import merged_linear  # int8 on WASM: the adapters merged into the weight
        return merged_linear(x, layer, *lora[target])
    y = layer(x)
    if lora is not None and target in lora:
        a, b = lora[target]
        y = y + (x @ a) @ b
    return y


class Embeddings(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.word = nn.Embedding(cfg.vocab_size, cfg.hidden)
        self.position = nn.Embedding(cfg.max_positions, cfg.hidden)
        self.token_type = nn.Embedding(cfg.type_vocab, cfg.hidden)
        self.norm = nn.LayerNorm(cfg.hidden, eps=cfg.ln_eps)

    def forward(self, input_ids, token_type_ids, position_ids):  # each [B,T] int64 -> [B,T,H]
        x = self.word(input_ids) + self.position(position_ids) + self.token_type(token_type_ids)
        return self.norm(x)


class Layer(nn.Module):
    """Post-LN BERT layer that also returns the [CLS] row of its attention (mean over heads)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden
        self.heads = cfg.heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.norm1 = nn.LayerNorm(h, eps=cfg.ln_eps)
        self.ffn_in = nn.Linear(h, cfg.intermediate)
        self.ffn_out = nn.Linear(cfg.intermediate, h)
        self.norm2 = nn.LayerNorm(h, eps=cfg.ln_eps)
        # F.gelu's `approximate`: "none" (erf, BERT's); "tanh" where the int8 graphs' FastGelu is
        # simulated (mrr/int8.py `simulate_int8`)
        self.gelu = "none"

    def forward(self, x, mask, lora: Lora | None = None, keep: torch.Tensor | None = None):
        # x [B,T,H], mask [B,T] float 1/0, keep [R] int64: the rows whose output is computed
        # (None: all T; [0], the pooling token, where only the exit head reads the output: every
        # token is still a key and a value) -> (x [B,R,H], cls_attn [B,T])
        B, T, H = x.shape
        nh, hd = self.heads, H // self.heads
        def split(t):  # [B,n,H] -> [B,nh,n,hd]
            return t.view(B, -1, nh, hd).transpose(1, 2)
        xq = x if keep is None else x.index_select(1, keep)  # [B,R,H]
        q = split(lin(xq, self.q, lora, "q"))
        k = split(lin(x, self.k, lora, "k"))
        v = split(lin(x, self.v, lora, "v"))
        bias = (1.0 - mask)[:, None, None, :] * MASK_NEG  # [B,1,1,T]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias  # [B,nh,R,T]
        probs = att.softmax(-1)
        cls_attn = probs[:, :, 0, :].mean(1)  # [B,T] (keep starts with row 0)
        ctx = (probs @ v).transpose(1, 2).reshape(B, -1, H)  # [B,R,H]
        x = self.norm1(xq + lin(ctx, self.o, lora, "o"))
        f = F.gelu(lin(x, self.ffn_in, lora, "ffn_in"), approximate=self.gelu)
        x = self.norm2(x + lin(f, self.ffn_out, lora, "ffn_out"))
        return x, cls_attn


class ExitHead(nn.Module):
    """BERT pooler (dense + tanh on [CLS]) and a 1-logit classifier."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.pooler = nn.Linear(cfg.hidden, cfg.hidden)
        self.classifier = nn.Linear(cfg.hidden, 1)

    def forward(self, x):  # [B,T,H] -> [B]
        return self.classifier(torch.tanh(self.pooler(x[:, 0]))).squeeze(-1)


# ---- token compression -------------------------------------------------------------------

def merge_groups(q_lens: torch.Tensor, p_lens: torch.Tensor, T: int, ratio: int):
    """Slot of every token after merging passage windows of `ratio` tokens.

    q_lens, p_lens [B] int64; returns (group [B,T] float32 with -1 for padding,
    new p_lens [B], new length T'). Layout in: [CLS] q [SEP] p [SEP] pad.
    """
    B = q_lens.shape[0]
    pos = torch.arange(T, device=q_lens.device)[None, :].expand(B, T)
    start = (q_lens + 2)[:, None]  # first passage token
    p_end = start + p_lens[:, None]  # final [SEP]
    new_p = (p_lens + ratio - 1) // ratio
    group = torch.where(pos < start, pos, start + (pos - start) // ratio)
    group = torch.where(pos == p_end, start + new_p[:, None], group)
    group = torch.where(pos > p_end, torch.full_like(pos, -1), group)
    new_len = q_lens + 3 + new_p
    return group.float(), new_p, int(new_len.max())


def compress(x, weights, group, slots):
    # x [B,T,H], weights [B,T], group [B,T] float (-1 = drop), slots [T'] = 0..T'-1 -> [B,T',H]
    m = (group[:, :, None] == slots[None, None, :]).to(x.dtype) * (weights + WEIGHT_EPS)[:, :, None]  # [B,T,T']
    den = m.sum(1).clamp_min(1e-30)  # [B,T']
    return (m.transpose(1, 2) @ x) / den[:, :, None]


def lengths_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    return (torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]).float()  # [B,T]


class State(NamedTuple):
    """Input of a layer: hidden [B,T,H], previous layer's cls_attn [B,T] (None before layer 1),
    and each row's query/passage token counts [B]."""
    x: torch.Tensor
    cls_attn: torch.Tensor | None
    q_lens: torch.Tensor
    p_lens: torch.Tensor


# ---- the model ---------------------------------------------------------------------------

class MatryoshkaReranker(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embeddings = Embeddings(cfg)
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.layers))
        self.heads = nn.ModuleDict({str(e): ExitHead(cfg) for e in cfg.exits})
        shapes = lora_shapes(cfg)
        self.adapters = nn.ModuleDict({
            name: nn.ModuleList(
                nn.ModuleDict({t: LoRA(*shapes[t], cfg.lora_rank, cfg.lora_alpha) for t in LORA_TARGETS})
                for _ in range(cfg.layers))
            for name in cfg.adapter_names})

    def lora_for(self, layer: int, names: list[str]) -> Lora | None:
        """Concatenate the active adapters of `layer` (1-based) along the rank axis."""
        if not names:
            return None
        out: Lora = {}
        for t in LORA_TARGETS:
            fs = [self.adapters[n][layer - 1][t].factors() for n in names]
            out[t] = (torch.cat([a for a, _ in fs], 1), torch.cat([b for _, b in fs], 0))
        return out

    def forward(self, input_ids, token_type_ids, q_lens, p_lens, arch: SubArch, exits=None,
                use_adapters: bool = True, states: list | None = None):
        """Scores of `arch` at each requested exit (default: all exits <= depth).

        input_ids, token_type_ids [B,T] int64; q_lens, p_lens [B] int64 (tokens, no specials).
        `states`, if a list, receives the input State of every layer run (for resuming).
        Returns {exit_layer: scores [B]}.
        """
        B, T = input_ids.shape
        pos = torch.arange(T, device=input_ids.device)[None, :].expand(B, T)
        x = self.embeddings(input_ids, token_type_ids, pos)
        start = State(x, None, q_lens, p_lens)
        return self.resume(start, 1, arch, exits, use_adapters, states)

    def resume(self, st: "State", first: int, arch: SubArch, exits=None, use_adapters: bool = True,
               states: list | None = None):
        """Run the steps of `arch`'s plan from layer `first` on `st`, the input of that layer."""
        want = set(exits) if exits is not None else {e for e in self.cfg.exits if e <= arch.depth}
        x, cls_attn, q_lens, p_lens = st
        scores = {}
        steps = arch.plan(self.cfg)[first - 1:]
        for step in steps:
            if step.compress:
                c = step.compress
                w = cls_attn if c.mode == "attention" else torch.ones(x.shape[:2], device=x.device)
                group, p_lens, t_out = merge_groups(q_lens, p_lens, x.shape[1], c.ratio)
                x = compress(x, w, group, torch.arange(t_out, dtype=x.dtype, device=x.device))
            if states is not None:
                states.append(State(x, cls_attn, q_lens, p_lens))
            mask = lengths_mask(q_lens + p_lens + 3, x.shape[1])
            names = list(step.adapters) if use_adapters else []
            # the plan's last layer computes only the pooling token (all the exit head reads)
            keep = POOLING_ROW.to(x.device) if step is steps[-1] else None
            x, cls_attn = self.layers[step.layer - 1](x, mask, self.lora_for(step.layer, names), keep)
            if step.layer in want:
                scores[step.layer] = self.heads[str(step.layer)](x)
        return scores


def layer_flops(t: float, cfg: ModelConfig, rows: float | None = None) -> float:
    """Multiply-adds of one layer on a sequence of t tokens (linears + attention), computing the
    output of `rows` of them (default all; 1 on a plan's last layer: keys and values of all t)."""
    h, i = cfg.hidden, cfg.intermediate
    r = t if rows is None else rows
    return t * 2 * h * h + r * (2 * h * h + 2 * h * i) + 2 * r * t * h


def relative_flops(arch: SubArch, cfg: ModelConfig, q_len: int, p_len: int) -> float:
    """FLOPs of `arch` relative to the full model, for one (q_len, p_len) pair."""
    def run(a: SubArch) -> float:
        p, total = p_len, 0.0
        steps = a.plan(cfg)
        for step in steps:
            if step.compress:
                p_new = -(-p // step.compress.ratio)
                total += compress_flops(q_len + 3 + p, q_len + 3 + p_new, cfg)
                p = p_new
            total += layer_flops(q_len + 3 + p, cfg, 1 if step is steps[-1] else None)
        return total + cfg.hidden * cfg.hidden  # exit head
    return run(arch) / run(SubArch(cfg.layers))


def compress_flops(t_in: float, t_out: float, cfg: ModelConfig) -> float:
    """Multiply-adds of merging t_in tokens into t_out slots."""
    return t_in * t_out * cfg.hidden
