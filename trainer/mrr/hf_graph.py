"""The full configuration as one standard BertForSequenceClassification ONNX graph (the
transformers.js peer in the benchmarks runs it)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
import torch.nn as nn

from .model import MatryoshkaReranker
from .onnx_graphs import _export
from .precision import store_compact


def export_hf(model: MatryoshkaReranker, tok_dir: Path, out: Path) -> None:
    """The full configuration as one standard BertForSequenceClassification ONNX graph."""
    from transformers import BertConfig, BertForSequenceClassification
    cfg = model.cfg
    hc = BertConfig(vocab_size=cfg.vocab_size, hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
                    num_attention_heads=cfg.heads, intermediate_size=cfg.intermediate,
                    max_position_embeddings=cfg.max_positions, type_vocab_size=cfg.type_vocab,
                    layer_norm_eps=cfg.ln_eps, num_labels=1, hidden_act="gelu",
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    hf = BertForSequenceClassification(hc).eval()
    sd = {}
    e = model.embeddings
    sd.update({"bert.embeddings.word_embeddings.weight": e.word.weight, "bert.embeddings.position_embeddings.weight": e.position.weight,
               "bert.embeddings.token_type_embeddings.weight": e.token_type.weight,
               "bert.embeddings.LayerNorm.weight": e.norm.weight, "bert.embeddings.LayerNorm.bias": e.norm.bias})
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "norm1": "attention.output.LayerNorm", "ffn_in": "intermediate.dense",
             "ffn_out": "output.dense", "norm2": "output.LayerNorm"}
    for i, layer in enumerate(model.layers):
        for ours, theirs in names.items():
            mod = getattr(layer, ours)
            sd[f"bert.encoder.layer.{i}.{theirs}.weight"] = mod.weight
            sd[f"bert.encoder.layer.{i}.{theirs}.bias"] = mod.bias
    head = model.heads[str(cfg.layers)]
    sd.update({"bert.pooler.dense.weight": head.pooler.weight, "bert.pooler.dense.bias": head.pooler.bias,
               "classifier.weight": head.classifier.weight, "classifier.bias": head.classifier.bias})
    missing, unexpected = hf.load_state_dict({k: v.detach() for k, v in sd.items()}, strict=False)
    assert not unexpected and all("position_ids" in m for m in missing), (missing, unexpected)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    ids = torch.full((2, 7), 5, dtype=torch.long)
    bt = {0: "batch_size", 1: "sequence_length"}

    class Wrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    _export(Wrap(hf), (ids, torch.ones_like(ids), ids * 0), out / "onnx" / "model.onnx",
            ["input_ids", "attention_mask", "token_type_ids"], ["logits"],
            {"input_ids": bt, "attention_mask": bt, "token_type_ids": bt, "logits": {0: "batch_size"}})
    store_compact(out / "onnx" / "model.onnx", cfg.vocab_size, cfg.hidden)
    conf = hc.to_dict()
    conf.update({"architectures": ["BertForSequenceClassification"], "model_type": "bert",
                 "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}})
    (out / "config.json").write_text(json.dumps(conf, indent=1))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tok_dir / f, out / f)
