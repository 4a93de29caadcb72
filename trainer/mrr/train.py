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
from .data import (BM25, Encoder, build_rows, dev_modulus, is_dev, load_beir, load_negatives, load_tokenizer,
                   encode_texts, MAX_QUERY_TOKENS)
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
    pseudo: bool = True  # title -> text pseudo-queries from each training corpus (where titles name one text)
    ict: int = 0  # inverse-cloze pseudo-queries (mrr/ict.py): how many documents of each training corpus give one
    qa: str = ""  # labelled general-domain sets beside `data`, e.g. "boolq,wikiqa,selqa,qnli" (same data root)
    judged_negatives: int = 4  # per group, at most this many human-judged non-relevant passages
    teacher_weights: str = ""  # e.g. "bm25=0.5,minilm=1"; '' = teacher.TEACHER_WEIGHTS
    eval_queries: int = 60
    eval_k: int = 30
    seed: int = 0
    bf16: bool = True
    device: str = "auto"  # 'auto' = cuda when available, else cpu


# ---- training groups -----------------------------------------------------------------------

@dataclass
class Group:
    """One training query: its positives, BM25 candidates (best first) and the external
    teacher's score for each candidate (mrr/teacher.py)."""
    query: str
    positives: list[int]
    docs: np.ndarray  # [C] doc indices
    teacher: np.ndarray  # [C] sum of w * z(scorer) (teacher.TEACHER_WEIGHTS)
    texts: list[str]  # passage text by doc index
    negatives: tuple[int, ...] = ()  # human-judged NON-relevant doc indices (qrels/*_negatives.tsv)


def _weights_tag(weights: dict[str, float]) -> str:
    return "-".join(f"{n}{w:g}" for n, w in sorted(weights.items()) if w)


def labelled_source(cfg: TrainConfig, folder: Path, out: Path, log) -> list[Group]:
    """A BEIR training set's train queries with a relevant passage (its dev split held out,
    data.dev_modulus), its judged negatives where it has them, BM25 top-k of its own corpus."""
    name = folder.name
    ds = load_beir(folder, "train")
    idx = {d: i for i, d in enumerate(ds.doc_ids)}
    m = dev_modulus(name)
    real = [q for q in ds.qrels if not is_dev(q, m)]
    pos = [[idx[d] for d, g in ds.qrels[q].items() if g > 0 and d in idx] for q in real]
    real, pos = [q for q, p in zip(real, pos) if p], [p for p in pos if p]
    judged = load_negatives(folder, "train")
    neg = [[idx[d] for d in judged.get(q, []) if d in idx] for q in real]
    k, w = cfg.negatives_from, teacher.parse_weights(cfg.teacher_weights)
    lab = teacher.cached(out / f"teacher-{name}-labelled-k{k}-{_weights_tag(w)}.npz", lambda: teacher.build(
        ds.doc_texts, [ds.queries[q] for q in real], pos, BM25(ds.doc_texts), k, log, extra=neg, weights=w))
    return [Group(ds.queries[q], p, d, s, ds.doc_texts, tuple(n)) for q, p, n, d, s in zip(real, pos, neg, lab.docs, lab.scores)]


def label_free_sources(cfg: TrainConfig, folder: Path, out: Path, log) -> list[list[Group]]:
    """Title pseudo-queries (a title of >= 4 words -> its own text, searched among the texts) and,
    with cfg.ict, inverse-cloze spans (mrr/ict.py) from one training corpus; no labels."""
    name = folder.name
    titles, texts = [], []
    with open(folder / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                titles.append((d.get("title") or "").strip())
                texts.append((d.get("text") or "").strip())
    k, w = cfg.negatives_from, teacher.parse_weights(cfg.teacher_weights)
    tag = _weights_tag(w)
    sources = []
    ok = [i for i, t in enumerate(titles) if len(t.split()) >= 4 and texts[i]]
    if cfg.pseudo and len(set(titles[i] for i in ok)) == len(ok) and len(ok) >= 100:  # titles name one text each
        ps = teacher.cached(out / f"teacher-{name}-titles-k{k}-{tag}.npz", lambda: teacher.build(
            texts, [titles[i] for i in ok], [[i] for i in ok], BM25(texts), k, log, weights=w))
        sources.append([Group(titles[i], [i], d, s, texts) for i, d, s in zip(ok, ps.docs, ps.scores)])
    if cfg.ict:
        ic = inverse_cloze(titles, texts, cfg.ict)
        if len(ic.queries) >= 100:  # corpora of single sentences give no spans
            ts = teacher.cached(out / f"teacher-{name}-ict{cfg.ict}-k{k}-{tag}.npz", lambda: teacher.build(
                ic.corpus, ic.queries, [[i] for i in ic.positives], BM25(ic.corpus), k, log, weights=w))
            sources.append([Group(q, [i], d, s, ic.corpus) for q, i, d, s in zip(ic.queries, ic.positives, ts.docs, ts.scores)])
    return sources


def make_groups(cfg: TrainConfig, log=print) -> list[list[Group]]:
    """Every source of training queries, each a list of groups, cached in the run folder: the
    labelled queries of cfg.data and of each cfg.qa set, and the label-free ones (titles,
    inverse cloze) of every training corpus. Sources are sampled evenly (sample_batch)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    folders = [Path(cfg.data)] + [Path(cfg.data).parent / n for n in cfg.qa.split(",") if n]
    sources: list[list[Group]] = []
    for folder in folders:
        lab = labelled_source(cfg, folder, out, log)
        free = label_free_sources(cfg, folder, out, log)
        log(f"groups {folder.name}: {len(lab)} labelled queries (dev held out, "
            f"{sum(bool(g.negatives) for g in lab)} with judged negatives), label-free {[len(s) for s in free]}; "
            f"candidates from BM25 top-{cfg.negatives_from}")
        sources += [lab] + free
    return [s for s in sources if s]


def sample_group(cfg: TrainConfig, rng: random.Random, g: Group) -> tuple[list[int], list[float]]:
    """A positive (column 0) and G-1 negatives: up to cfg.judged_negatives human-judged ones,
    then half of the rest from the top 20 BM25 candidates and half from the rest of the top-k;
    with the teacher's scores."""
    pos = set(g.positives)
    judged = set(g.negatives) - pos
    negs = [j for j, d in enumerate(g.docs) if int(d) not in pos]
    hard = [j for j in negs if int(g.docs[j]) in judged]
    hard = rng.sample(hard, min(len(hard), cfg.judged_negatives))
    rest = [j for j in negs if j not in set(hard)]
    near, far = rest[:20], rest[20:]
    want = cfg.group - 1 - len(hard)
    n_near = min(len(near), cfg.group // 2)
    n_near = min(n_near, want)
    pick = hard + rng.sample(near, n_near) + rng.sample(far, min(len(far), want - n_near))
    p = rng.choice(g.positives)
    j_pos = int(np.flatnonzero(g.docs == p)[0])
    cols = [j_pos] + pick
    return [int(g.docs[j]) for j in cols], [float(g.teacher[j]) for j in cols]


def draw_group(rng: random.Random, sources: list[list[Group]]) -> Group:
    """A source uniformly (no source dominates by its size), then a group within it."""
    return rng.choice(rng.choice(sources))


def sample_batch(cfg, rng, sources: list[list[Group]], enc: Encoder):
    """cfg.queries_per_step groups, each from a source drawn uniformly (no source dominates by
    its size) -> (rows [Q*G], teacher scores [Q,G])."""
    rows_q, rows_p, ext = [], [], []
    for _ in range(cfg.queries_per_step):
        g = draw_group(rng, sources)
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


Scores = dict[int, torch.Tensor]  # exit layer -> scores [Q,G]


def forward_groups(cfg: TrainConfig, model: MatryoshkaReranker, rows, arch: SubArch, **kw) -> Scores:
    """The model on a batch of Q groups of G candidates -> {exit: scores [Q,G]}. On a CPU each
    group runs on its own, padded to its own longest row (a group of QA sentences beside one of
    long abstracts pays nothing for them); on a GPU the batch runs at once."""
    Q, G = cfg.queries_per_step, cfg.group
    if rows.input_ids.device.type != "cpu":
        scores = model(rows.input_ids, rows.token_type_ids, rows.q_lens, rows.p_lens, arch, **kw)
        return {e: s.view(Q, G) for e, s in scores.items()}
    outs = []
    for i in range(Q):
        g = slice(i * G, (i + 1) * G)
        T = int((rows.q_lens[g] + rows.p_lens[g]).max()) + 3
        outs.append(model(rows.input_ids[g, :T], rows.token_type_ids[g, :T], rows.q_lens[g], rows.p_lens[g], arch, **kw))
    return {e: torch.stack([o[e] for o in outs]) for e in outs[0]}


def naive_loss(cfg: TrainConfig, model: MatryoshkaReranker, rows, ext: torch.Tensor, rng) -> tuple[torch.Tensor, dict]:
    """Stage 1: every exit on its own, labels + the external teacher (ext [Q,G]); no
    self-distillation, full width."""
    full = forward_groups(cfg, model, rows, SubArch(model.cfg.layers), use_adapters=False)
    sup = sum(supervised_contrastive(s) for s in full.values()) / len(full)
    ext_kd = sum(listwise_kd(s, ext, cfg.tau) for s in full.values()) / len(full)
    return sup + cfg.ext_weight * ext_kd, {"sup": float(sup.detach()), "ext": float(ext_kd.detach())}


def distill_loss(cfg: TrainConfig, model: MatryoshkaReranker, rows, ext: torch.Tensor, rng) -> tuple[torch.Tensor, dict]:
    """Stage 2, cascaded self-distillation: the full model learns from labels and the external
    teacher; every shallower exit and one sampled compressed sub-architecture learn from the
    full-width score of a deeper exit (teacher_for), and from the external teacher too."""
    L = model.cfg.layers
    full = forward_groups(cfg, model, rows, SubArch(L), use_adapters=False)
    teach = {e: full[e].detach() for e in {teacher_for(e, L) for e in full}}
    ext_kd = listwise_kd(full[L], ext, cfg.tau)
    top = supervised_contrastive(full[L]) + cfg.ext_weight * ext_kd
    kd = [student_loss(cfg, full[e], teach[teacher_for(e, L)], ext) for e in full if e != L]
    arch = sample_arch(rng, L)
    comp = forward_groups(cfg, model, rows, arch, use_adapters=False,
                          exits={e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth})
    kd += [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in comp.items()]
    kd_loss = sum(kd) / len(kd)
    return top + kd_loss, {"top": float(top.detach()), "ext": float(ext_kd.detach()), "kd": float(kd_loss.detach()),
                           "arch": arch.name}


def compensate_loss(cfg: TrainConfig, model: MatryoshkaReranker, rows, ext: torch.Tensor, rng) -> tuple[torch.Tensor, dict]:
    """Stage 3: the base frozen; the vertical adapter (full width, exits below L) and the
    horizontal adapter of a sampled compressed sub-architecture learn from the frozen model's
    full-width teachers (and the external teacher)."""
    L = model.cfg.layers
    with torch.no_grad():
        full = forward_groups(cfg, model, rows, SubArch(L), use_adapters=False)
    teach = {e: full[e] for e in {teacher_for(e, L) for e in model.cfg.exits}}
    vert = forward_groups(cfg, model, rows, SubArch(L - 1))  # vertical adapter on, full width: exits 2..L-1
    parts = [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in vert.items()]
    arch = sample_arch(rng, L)
    want = {arch.depth} if arch.depth == L else {e for e in model.cfg.exits if min(arch.compress_layers) <= e <= arch.depth}
    comp = forward_groups(cfg, model, rows, arch, exits=want)
    parts += [student_loss(cfg, s, teach[teacher_for(e, L)], ext) for e, s in comp.items()]
    loss = sum(parts) / len(parts)
    return loss, {"kd": float(loss.detach()), "arch": arch.name}


STAGE_LOSS = {"naive": naive_loss, "distill": distill_loss, "compensate": compensate_loss}


def param_groups(cfg: TrainConfig, model: MatryoshkaReranker):
    for n, p in model.named_parameters():
        p.requires_grad = (n.startswith("adapters.")) == (cfg.stage == "compensate")
    if cfg.stage == "compensate":
        return [{"params": [p for p in model.adapters.parameters()], "lr": cfg.lora_lr}]
    heads = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    base = [p for n, p in model.named_parameters() if not n.startswith(("heads.", "adapters."))]
    return [{"params": base, "lr": cfg.lr}, {"params": heads, "lr": cfg.head_lr}]


def train(cfg: TrainConfig) -> Path:
    if cfg.stage not in STAGE_LOSS:
        raise ValueError(f"unknown stage {cfg.stage!r}: choose one of {sorted(STAGE_LOSS)}")
    stage_loss = STAGE_LOSS[cfg.stage]
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed * 1000 + sum(map(ord, cfg.stage)))
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / f"{cfg.stage}.log.jsonl", "a")
    def log(msg):
        print(msg, flush=True)
    # a checkpoint or an exported bundle (e.g. the shipped one), else the package's pretrained model
    model = load_model(cfg.init) if cfg.init else load_pretrained()
    device = torch.device("cuda" if cfg.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if cfg.device == "auto" else cfg.device))
    model.to(device)
    enc = Encoder(load_tokenizer(tokenizer_path()))
    sources = make_groups(cfg, log)
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
        rows, ext = sample_batch(cfg, rng, sources, enc)
        rows, ext = rows.to(device), ext.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss, logs = stage_loss(cfg, model, rows, ext, rng)
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
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, out / f"{cfg.stage}.pt")
        if elapsed > cfg.max_minutes:
            log(f"time budget reached at step {step}")
            break
    model.cpu()
    torch.save(model.state_dict(), out / f"{cfg.stage}.pt")
    meta = {"stage": cfg.stage, "steps": step, "minutes": round((time.time() - t0) / 60, 1),
            "config": cfg.__dict__, "torch_threads": torch.get_num_threads(), "device": str(device)}
    (out / f"{cfg.stage}.json").write_text(json.dumps(meta, indent=2))
    if cfg.eval_queries:
        ds = load_beir(cfg.data, "train")
        dev = [q for q in ds.qrels if is_dev(q, dev_modulus(Path(cfg.data).name))][: cfg.eval_queries]
        exits, L = model.cfg.exits, model.cfg.layers
        archs = [SubArch(d) for d in exits] + [SubArch(L, (exits[0],), 4), SubArch(exits[len(exits) // 2], (exits[0],), 2)]
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
