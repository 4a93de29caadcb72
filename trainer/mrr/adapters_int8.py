"""int8 LoRA factors for int8 bundles (docs/bundle-format.md, "adapters.safetensors"): each factor
`<adapter>.<layer>.<target>.a` [in, rank] / `.b` [rank, out] stored as I8, symmetric, with a
float16 scale per rank component in `<factor>.scale` ([1, rank] for A: per column; [rank, 1] for
B: per row); the runtime multiplies them out to float32 at load.

`round_adapters_int8_` puts the PyTorch factors on that grid (B with the LoRA scale folded in,
as exported: a power of two, so the unfolded B is exact too); `export_adapters_int8` stores them
and refuses a factor that does not come back exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from .int8_storage import fake_quant_int8, int8_channels
from .model import LORA_TARGETS, lora_shapes

# the scale's axis of each factor: A [in, rank] per column, B [rank, out] per row
AXIS = {"a": 1, "b": 0}


@torch.no_grad()
def round_adapters_int8_(model) -> None:
    for name in model.cfg.adapter_names:
        for layer in model.adapters[name]:
            for t in LORA_TARGETS:
                lora = layer[t]
                assert float(np.log2(lora.scale)).is_integer(), "lora_alpha / lora_rank must be a power of two"
                lora.A.copy_(torch.from_numpy(fake_quant_int8(lora.A.numpy(), AXIS["a"])))
                folded = (lora.B * lora.scale).numpy()
                lora.B.copy_(torch.from_numpy(fake_quant_int8(folded, AXIS["b"])) / lora.scale)


def export_adapters_int8(model, out: Path) -> dict:
    tensors: dict[str, np.ndarray] = {}
    for name in model.cfg.adapter_names:
        for l in range(1, model.cfg.layers + 1):
            for t in LORA_TARGETS:
                for which, f in zip("ab", model.adapters[name][l - 1][t].factors()):
                    key = f"{name}.{l}.{t}.{which}"
                    w = f.detach().numpy().astype(np.float32)
                    q, s = int8_channels(w, AXIS[which])
                    if not np.array_equal(q.astype(np.float32) * s.astype(np.float32), w):
                        raise ValueError(f"adapter factor {key} is not on its int8 grid; round the model with "
                                         "precision.round_adapters_(model, 'int8') before exporting")
                    tensors[key], tensors[key + ".scale"] = q, s
    save_file(tensors, str(out / "adapters.safetensors"))
    return {"file": "adapters.safetensors", "dtype": "int8", "rank": model.cfg.lora_rank,
            "targets": {t: list(s) for t, s in lora_shapes(model.cfg).items()},
            "names": model.cfg.adapter_names}


def read_adapters(path: Path) -> dict[str, np.ndarray]:
    """The factors of an adapters.safetensors as float32, int8 ones times their `.scale`."""
    raw = load_file(str(path))
    out = {}
    for key, a in raw.items():
        if key.endswith(".scale"):
            continue
        if a.dtype == np.int8:
            if key + ".scale" not in raw:
                raise ValueError(f"{path}: int8 factor {key} has no {key}.scale")
            out[key] = a.astype(np.float32) * raw[key + ".scale"].astype(np.float32)
        else:
            out[key] = a.astype(np.float32)
    return out
