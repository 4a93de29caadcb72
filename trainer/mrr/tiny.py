"""A tiny random-weights bundle for fast tests (runtime parity fixtures, export round trip).

python -m mrr.tiny --out ../test/fixtures/tiny
python -m mrr.tiny --out ../test/fixtures/tiny-int8 --precision int8
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .model import MatryoshkaReranker, ModelConfig
from .pretrained import tokenizer_path

TINY = ModelConfig(hidden=32, layers=4, heads=4, intermediate=64, max_positions=512, lora_rank=4, lora_alpha=8.0)


def tiny_model(seed: int = 0, adapters: bool = True) -> MatryoshkaReranker:
    torch.manual_seed(seed)
    m = MatryoshkaReranker(TINY)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.2)  # random everything, adapters included (B != 0), so parity sees them
        if not adapters:
            for n, p in m.named_parameters():
                if n.endswith(".B"):
                    p.zero_()
        for layer in m.layers:  # norms near identity keep activations sane
            for norm in (layer.norm1, layer.norm2):
                norm.weight.fill_(1.0)
    return m.eval()


def main():
    from .evaluate import config_grid
    from .export import export_bundle
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--precision", choices=("float16", "int8"), default="float16")
    a = p.parse_args()
    m = tiny_model()
    export_bundle(m, tokenizer_path(), Path(a.out), "tiny-random", "random weights (test fixture)",
                  config_grid(TINY.layers, TINY.exits), training={"note": "random weights, for tests only"}, precision=a.precision)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
