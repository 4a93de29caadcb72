"""Train the Matryoshka re-ranker in three stages (see trainer/README.md).

  naive       every exit learns from labels (supervised contrastive), full width only
  distill     cascaded self-distillation: sampled sub-architectures learn from the full-width
              score of a deeper exit (listwise soft CE) + supervised contrastive
  compensate  base frozen; vertical LoRA (depth) and horizontal LoRA per ratio learn to close
              the remaining gap to the full-width teachers

python -m mrr.train --stage naive --out runs/main --steps 1200
python -m mrr.train --stage distill --init runs/main/naive.pt --out runs/main --steps 1200
python -m mrr.train --stage compensate --init runs/main/distill.pt --out runs/main --steps 600
"""
from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .data import BM25, Encoder, build_rows, is_dev, load_beir, load_tokenizer, encode_texts, MAX_QUERY_TOKENS
from .evaluate import evaluate
from .losses import listwise_kd, supervised_contrastive
from .model import MatryoshkaReranker, SubArch
from .pretrained import load_pretrained, tokenizer_path


@dataclass
class TrainConfig:
    stage: str = "naive"
    data: str = str(Path(__file__).resolve().parents[3] / "shared" / "datasets" / "scifact")
    out: str = "runs/main"
    init: str | None = None
    steps: int = 1000
    max_minutes: float = 60.0
    queries_per_step: int = 2
    group: int = 8  # 1 positive + 7 BM25 hard negatives
    negatives_from: int = 30  # sample negatives from BM25 top-N
    lr: float = 4e-5
    head_lr: float = 5e-4
    lora_lr: float = 1e-3
    warmup: int = 50
    tau: float = 1.0
    sup_weight: float = 0.5  # supervised contrastive weight for students
    pseudo: bool = True  # title -> abstract pseudo-queries from the training corpus
    eval_queries: int = 60
    eval_k: int = 30
    seed: int = 0
    bf16: bool = True


# ---- training groups -----------------------------------------------------------------------

def make_groups(cfg: TrainConfig, log=print):
    """[(query, [positive, neg...])] texts: labelled train queries (dev split held out) and
    title pseudo-queries (title -> its own abstract)."""
    ds = load_beir(cfg.data, "train")
    bm25 = BM25(ds.doc_texts)
    idx = {d: i for i, d in enumerate(ds.doc_ids)}
    real = [q for q in ds.qrels if not is_dev(q)]
    docs, _ = bm25.search([ds.queries[q] for q in real], cfg.negatives_from)
    labelled = []
    for i, q in enumerate(real):
        pos = [idx[d] for d, g in ds.qrels[q].items() if g > 0 and d in idx]
        negs = [int(d) for d in docs[i] if ds.doc_ids[int(d)] not in ds.qrels[q]]
        if pos and len(negs) >= cfg.group - 1:
            labelled.append((ds.queries[q], pos, negs))
    pseudo = []
    if cfg.pseudo:
        titles, texts = [], []
        with open(Path(cfg.data) / "corpus.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                titles.append((d.get("title") or "").strip())
                texts.append((d.get("text") or "").strip())
        ok = [i for i, t in enumerate(titles) if len(t.split()) >= 4 and texts[i]]
        tdocs, _ = bm25.search([titles[i] for i in ok], cfg.negatives_from)
        for j, i in enumerate(ok):
            negs = [int(d) for d in tdocs[j] if int(d) != i]
            pseudo.append((titles[i], [i], negs))
    log(f"groups: {len(labelled)} labelled queries (dev held out), {len(pseudo)} title pseudo-queries")
    return ds, labelled, pseudo, texts if cfg.pseudo else None


def sample_batch(cfg, rng, ds, labelled, pseudo, abstracts, enc: Encoder):
    """Alternate labelled and pseudo groups. Column 0 of each group is the positive."""
    rows_q, rows_p = [], []
    for j in range(cfg.queries_per_step):
        src = labelled if (j % 2 == 0 or not pseudo) else pseudo
        query, pos, negs = rng.choice(src)
        chosen = [rng.choice(pos)] + rng.sample(negs, cfg.group - 1)
        text = (lambda d: abstracts[d]) if src is pseudo else (lambda d: ds.doc_texts[d])
        q = encode_texts(enc.tok, [query], MAX_QUERY_TOKENS)[0][0]
        for p, _ in enc.passages([text(d) for d in chosen]):
            rows_q.append(q)
            rows_p.append(p)
    return build_rows(rows_q, rows_p)


def sample_arch(rng: random.Random, L: int, ratios=(2, 4, 8)) -> SubArch:
    s = rng.randint(2, L)
    r = rng.choice(ratios)
    layers = (s,) if rng.random() < 0.8 or s + 2 > L else (s, s + 2)
    mode = "attention" if rng.random() < 0.8 else "mean"
    return SubArch(rng.randint(s, L), layers, r, mode)


def teacher_for(exit_: int, L: int) -> int:
    """Cascade: exits in the top half learn from the last layer, lower ones from the middle."""
    mid = (L + 1) // 2 + 1  # 4 for 6 layers
    return L if exit_ >= mid else mid


# ---- the stages ----------------------------------------------------------------------------

def step_loss(cfg: TrainConfig, model: MatryoshkaReranker, rows, rng) -> tuple[torch.Tensor, dict]:
    L = model.cfg.layers
    Q, G = cfg.queries_per_step, cfg.group
    fwd = lambda arch, **kw: {e: s.view(Q, G) for e, s in
                             model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, **kw).items()}
    logs = {}
    if cfg.stage == "naive":
        full = fwd(SubArch(L), use_adapters=False)
        loss = sum(supervised_contrastive(s) for s in full.values()) / len(full)
        logs["sup"] = float(loss.detach())
        return loss, logs

    if cfg.stage == "distill":
        full = fwd(SubArch(L), use_adapters=False)
        teach = {e: full[e].detach() for e in {teacher_for(e, L) for e in full}}
        loss = supervised_contrastive(full[L])
        kd = [listwise_kd(full[e], teach[teacher_for(e, L)], cfg.tau) + cfg.sup_weight * supervised_contrastive(full[e])
              for e in full if e != L]
        arch = sample_arch(rng, L)
        comp = fwd(arch, exits={e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth},
                   use_adapters=False)
        kd += [listwise_kd(s, teach[teacher_for(e, L)], cfg.tau) + cfg.sup_weight * supervised_contrastive(s)
               for e, s in comp.items()]
        kd_loss = sum(kd) / len(kd)
        logs.update(sup=float(loss.detach()), kd=float(kd_loss.detach()), arch=arch.name)
        return loss + kd_loss, logs

    # compensate: teachers from the frozen distilled model, students with adapters
    with torch.no_grad():
        full = fwd(SubArch(L), use_adapters=False)
    teach = {e: full[e] for e in {teacher_for(e, L) for e in model.cfg.exits}}
    vert = fwd(SubArch(L - 1))  # vertical adapter on, full width: exits 2..L-1
    parts = [listwise_kd(s, teach[teacher_for(e, L)], cfg.tau) + cfg.sup_weight * supervised_contrastive(s)
             for e, s in vert.items()]
    arch = sample_arch(rng, L)
    want = {arch.depth} if arch.depth == L else {e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth}
    comp = fwd(arch, exits=want)
    parts += [listwise_kd(s, teach[teacher_for(e, L)], cfg.tau) + cfg.sup_weight * supervised_contrastive(s)
              for e, s in comp.items()]
    loss = sum(parts) / len(parts)
    logs.update(kd=float(loss.detach()), arch=arch.name)
    return loss, logs


def param_groups(cfg: TrainConfig, model: MatryoshkaReranker):
    for n, p in model.named_parameters():
        p.requires_grad = (n.startswith("adapters.")) == (cfg.stage == "compensate")
    if cfg.stage == "compensate":
        return [{"params": [p for p in model.adapters.parameters()], "lr": cfg.lora_lr}]
    heads = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    base = [p for n, p in model.named_parameters() if not n.startswith(("heads.", "adapters."))]
    return [{"params": base, "lr": cfg.lr}, {"params": heads, "lr": cfg.head_lr}]


def train(cfg: TrainConfig) -> Path:
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed * 1000 + sum(map(ord, cfg.stage)))
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / f"{cfg.stage}.log.jsonl", "a")
    def log(msg):
        print(msg, flush=True)
    model = load_pretrained()
    if cfg.init:
        model.load_state_dict(torch.load(cfg.init, map_location="cpu"))
    enc = Encoder(load_tokenizer(tokenizer_path()))
    ds, labelled, pseudo, abstracts = make_groups(cfg, log)
    groups = param_groups(cfg, model)
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    base_lrs = [g["lr"] for g in groups]
    t0 = time.time()
    model.train()
    for step in range(1, cfg.steps + 1):
        frac = min(1.0, step / cfg.warmup) * max(0.0, 1 - step / (cfg.steps + 1))
        for g, lr in zip(opt.param_groups, base_lrs):
            g["lr"] = lr * frac
        rows = sample_batch(cfg, rng, ds, labelled, pseudo, abstracts, enc)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss, logs = step_loss(cfg, model, rows, rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
        opt.step()
        elapsed = (time.time() - t0) / 60
        logf.write(json.dumps({"step": step, "loss": float(loss.detach()), "min": round(elapsed, 2), **logs}) + "\n")
        if step % 20 == 0:
            logf.flush()
            log(f"{cfg.stage} step {step}/{cfg.steps} loss {float(loss.detach()):.4f} {logs} {elapsed:.1f} min")
        if step % 200 == 0:
            torch.save(model.state_dict(), out / f"{cfg.stage}.pt")
        if elapsed > cfg.max_minutes:
            log(f"time budget reached at step {step}")
            break
    torch.save(model.state_dict(), out / f"{cfg.stage}.pt")
    meta = {"stage": cfg.stage, "steps": step, "minutes": round((time.time() - t0) / 60, 1),
            "config": cfg.__dict__, "torch_threads": torch.get_num_threads()}
    (out / f"{cfg.stage}.json").write_text(json.dumps(meta, indent=2))
    if cfg.eval_queries:
        from .evaluate import config_grid
        dev = [q for q in ds.qrels if is_dev(q)][: cfg.eval_queries]
        archs = [SubArch(d) for d in model.cfg.exits] + [SubArch(6, (2,), 4), SubArch(4, (2,), 2)]
        res = evaluate(model, enc, ds, dev, archs, k=cfg.eval_k, log=log)
        log(json.dumps(res, indent=1))
        meta["dev"] = res
        (out / f"{cfg.stage}.json").write_text(json.dumps(meta, indent=2))
    return out / f"{cfg.stage}.pt"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for k, v in TrainConfig().__dict__.items():
        if isinstance(v, bool):
            p.add_argument(f"--{k.replace('_', '-')}", type=lambda s: s.lower() in ("1", "true", "yes"), default=v)
        else:
            p.add_argument(f"--{k.replace('_', '-')}", type=type(v) if v is not None else str, default=v)
    train(TrainConfig(**vars(p.parse_args())))


if __name__ == "__main__":
    main()
