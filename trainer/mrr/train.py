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

import numpy as np
import torch

from . import teacher
from .bundle_import import load_model
from .data import BM25, Encoder, build_rows, is_dev, load_beir, load_tokenizer, encode_texts, MAX_QUERY_TOKENS
from .evaluate import evaluate
from .ict import inverse_cloze
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
    group: int = 16  # 1 positive + 15 BM25 candidates
    negatives_from: int = 100  # candidates: BM25 top-N (the re-ranking depth the model serves)
    ext_weight: float = 1.0  # external teacher (bi-encoder + BM25, mrr/teacher.py) on the top exit
    student_ext_weight: float = 0.0  # distill/compensate: the external teacher on every student too
    lr: float = 4e-5
    head_lr: float = 5e-4
    lora_lr: float = 1e-3
    warmup: int = 50
    tau: float = 1.0
    sup_weight: float = 0.5  # supervised contrastive weight for students
    pseudo: bool = True  # title -> abstract pseudo-queries from the training corpus
    ict: int = 0  # inverse-cloze pseudo-queries (mrr/ict.py): how many corpus documents give one
    eval_queries: int = 60
    eval_k: int = 30
    seed: int = 0
    bf16: bool = True


# ---- training groups -----------------------------------------------------------------------

@dataclass
class Group:
    """One training query: its positives, BM25 candidates (best first) and the external
    teacher's score for each candidate (mrr/teacher.py)."""
    query: str
    positives: list[int]
    docs: np.ndarray  # [C] doc indices
    teacher: np.ndarray  # [C] z(bi-encoder cos) + z(BM25)
    texts: list[str]  # passage text by doc index


def make_groups(cfg: TrainConfig, log=print) -> tuple[list[Group], list[list[Group]]]:
    """Labelled train queries (dev split held out) and label-free ones: title pseudo-queries (a
    corpus title -> its own abstract, searched among abstracts) and, with cfg.ict, inverse-cloze
    spans (mrr/ict.py); each with BM25 top-k candidates and teacher scores, cached in the run
    folder. Returns (labelled, the non-empty label-free sources)."""
    ds = load_beir(cfg.data, "train")
    idx = {d: i for i, d in enumerate(ds.doc_ids)}
    real = [q for q in ds.qrels if not is_dev(q)]
    pos = [[idx[d] for d, g in ds.qrels[q].items() if g > 0 and d in idx] for q in real]
    real, pos = [q for q, p in zip(real, pos) if p], [p for p in pos if p]
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    k = cfg.negatives_from
    lab = teacher.cached(out / f"teacher-labelled-k{k}.npz", lambda: teacher.build(
        ds.doc_texts, [ds.queries[q] for q in real], pos, BM25(ds.doc_texts), k, log))
    labelled = [Group(ds.queries[q], p, d, s, ds.doc_texts) for q, p, d, s in zip(real, pos, lab.docs, lab.scores)]
    pseudo: list[Group] = []
    ict: list[Group] = []
    if cfg.pseudo or cfg.ict:
        titles, abstracts = [], []
        with open(Path(cfg.data) / "corpus.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                titles.append((d.get("title") or "").strip())
                abstracts.append((d.get("text") or "").strip())
    if cfg.pseudo:
        ok = [i for i, t in enumerate(titles) if len(t.split()) >= 4 and abstracts[i]]
        ps = teacher.cached(out / f"teacher-pseudo-k{k}.npz", lambda: teacher.build(
            abstracts, [titles[i] for i in ok], [[i] for i in ok], BM25(abstracts), k, log))
        pseudo = [Group(titles[i], [i], d, s, abstracts) for i, d, s in zip(ok, ps.docs, ps.scores)]
    if cfg.ict:
        ic = inverse_cloze(titles, abstracts, cfg.ict)
        ts = teacher.cached(out / f"teacher-ict{cfg.ict}-k{k}.npz", lambda: teacher.build(
            ic.corpus, ic.queries, [[i] for i in ic.positives], BM25(ic.corpus), k, log))
        ict = [Group(q, [i], d, s, ic.corpus) for q, i, d, s in zip(ic.queries, ic.positives, ts.docs, ts.scores)]
    log(f"groups: {len(labelled)} labelled queries (dev held out), {len(pseudo)} title pseudo-queries, "
        f"{len(ict)} inverse-cloze queries, candidates from BM25 top-{k}")
    return labelled, [src for src in (pseudo, ict) if src]


def sample_group(cfg: TrainConfig, rng: random.Random, g: Group) -> tuple[list[int], list[float]]:
    """A positive (column 0) and G-1 negatives, half from the top 20 candidates and half from the
    rest of the top-k, with the teacher's scores."""
    pos = set(g.positives)
    negs = [j for j, d in enumerate(g.docs) if int(d) not in pos]
    near, far = negs[:20], negs[20:]
    n_near = min(len(near), cfg.group // 2)
    pick = rng.sample(near, n_near) + rng.sample(far, min(len(far), cfg.group - 1 - n_near))
    p = rng.choice(g.positives)
    j_pos = int(np.flatnonzero(g.docs == p)[0])
    cols = [j_pos] + pick
    return [int(g.docs[j]) for j in cols], [float(g.teacher[j]) for j in cols]


def sample_batch(cfg, rng, labelled, unlabelled: list[list[Group]], enc: Encoder):
    """Alternate labelled and label-free groups (an even choice among the label-free sources)
    -> (rows [Q*G], teacher scores [Q,G])."""
    rows_q, rows_p, ext = [], [], []
    for j in range(cfg.queries_per_step):
        if j % 2 == 0 or not unlabelled:
            g = rng.choice(labelled)
        else:  # one source: no extra draw, so runs without --ict sample as they did before it
            g = rng.choice(unlabelled[0] if len(unlabelled) == 1 else rng.choice(unlabelled))
        docs, t = sample_group(cfg, rng, g)
        ext.append(t)
        q = encode_texts(enc.tok, [g.query], MAX_QUERY_TOKENS)[0][0]
        for p, _ in enc.passages([g.texts[d] for d in docs]):
            rows_q.append(q)
            rows_p.append(p)
    return build_rows(rows_q, rows_p), torch.tensor(ext)


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

def student_loss(cfg: TrainConfig, student: torch.Tensor, teacher: torch.Tensor, ext: torch.Tensor) -> torch.Tensor:
    """A sub-architecture's loss: the cascade teacher (listwise soft CE), the labels (supervised
    contrastive) and, with student_ext_weight > 0, the external label-free teacher."""
    loss = listwise_kd(student, teacher, cfg.tau) + cfg.sup_weight * supervised_contrastive(student)
    if cfg.student_ext_weight:
        loss = loss + cfg.student_ext_weight * listwise_kd(student, ext, cfg.tau)
    return loss


def step_loss(cfg: TrainConfig, model: MatryoshkaReranker, rows, ext: torch.Tensor, rng) -> tuple[torch.Tensor, dict]:
    # ext [Q,G]: the external teacher's scores (bi-encoder + BM25) for the same groups
    L = model.cfg.layers
    Q, G = cfg.queries_per_step, cfg.group
    fwd = lambda arch, **kw: {e: s.view(Q, G) for e, s in
                             model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, **kw).items()}
    logs = {}
    if cfg.stage == "naive":
        # every exit on its own: labels + the external teacher; no self-distillation
        full = fwd(SubArch(L), use_adapters=False)
        sup = sum(supervised_contrastive(s) for s in full.values()) / len(full)
        ext_kd = sum(listwise_kd(s, ext, cfg.tau) for s in full.values()) / len(full)
        logs.update(sup=float(sup.detach()), ext=float(ext_kd.detach()))
        return sup + cfg.ext_weight * ext_kd, logs

    if cfg.stage == "distill":
        full = fwd(SubArch(L), use_adapters=False)
        teach = {e: full[e].detach() for e in {teacher_for(e, L) for e in full}}
        ext_kd = listwise_kd(full[L], ext, cfg.tau)
        loss = supervised_contrastive(full[L]) + cfg.ext_weight * ext_kd
        kd = [student_loss(cfg, full[e], teach[teacher_for(e, L)], ext) for e in full if e != L]
        arch = sample_arch(rng, L)
        comp = fwd(arch, exits={e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth},
                   use_adapters=False)
        kd += [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in comp.items()]
        kd_loss = sum(kd) / len(kd)
        logs.update(top=float(loss.detach()), ext=float(ext_kd.detach()), kd=float(kd_loss.detach()), arch=arch.name)
        return loss + kd_loss, logs

    # compensate: teachers from the frozen distilled model, students with adapters
    with torch.no_grad():
        full = fwd(SubArch(L), use_adapters=False)
    teach = {e: full[e] for e in {teacher_for(e, L) for e in model.cfg.exits}}
    vert = fwd(SubArch(L - 1))  # vertical adapter on, full width: exits 2..L-1
    parts = [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in vert.items()]
    arch = sample_arch(rng, L)
    want = {arch.depth} if arch.depth == L else {e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth}
    comp = fwd(arch, exits=want)
    parts += [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in comp.items()]
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
    # a checkpoint or an exported bundle (e.g. the shipped one), else the package's pretrained model
    model = load_model(cfg.init) if cfg.init else load_pretrained()
    enc = Encoder(load_tokenizer(tokenizer_path()))
    labelled, unlabelled = make_groups(cfg, log)
    groups = param_groups(cfg, model)
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    base_lrs = [g["lr"] for g in groups]
    t0 = time.time()
    model.train()
    for step in range(1, cfg.steps + 1):
        # linear warm-up, then linear decay over whichever budget runs out first: steps or minutes
        progress = max(step / (cfg.steps + 1), (time.time() - t0) / 60 / cfg.max_minutes)
        frac = min(1.0, step / cfg.warmup) * max(0.0, 1 - progress)
        for g, lr in zip(opt.param_groups, base_lrs):
            g["lr"] = lr * frac
        rows, ext = sample_batch(cfg, rng, labelled, unlabelled, enc)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss, logs = step_loss(cfg, model, rows, ext, rng)
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
        ds = load_beir(cfg.data, "train")
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
