"""Runs an exported bundle with onnxruntime, layer by layer, as the TypeScript runtime does.
Used by the export round-trip tests (PyTorch vs ONNX)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .adapters_int8 import read_adapters
from .bundle_import import config_of
from .data import Rows
from .golden import arch_from_json


class BundleRunner:
    def __init__(self, folder: str | Path, dequantized: bool = False):
        """`dequantized`: an int8 bundle's float-compute twins (`graphs.dequantized`, what WebGPU runs)
        instead of its int8 layer graphs."""
        self.dir = Path(folder)
        self.m = json.loads((self.dir / "manifest.json").read_text())
        so = ort.SessionOptions()
        so.log_severity_level = 3
        load = lambda f: ort.InferenceSession(str(self.dir / f), so, providers=["CPUExecutionProvider"])
        g = self.m["graphs"]
        self.emb = load(g["embeddings"])
        lg = g["dequantized"] if dequantized else g
        self.layers = [load(f) for f in lg["layers"]]
        # LoRA-free twins (same weights), run where a configuration adds no adapter at a layer
        self.plain = [load(f) for f in lg["plainLayers"]] if lg.get("plainLayers") else None
        self.compress = load(g["compress"])
        self.adapters = read_adapters(self.dir / self.m["adapters"]["file"])  # float32 (int8 factors times their scale)
        self.targets = self.m["adapters"]["targets"]
        self.cfg = config_of(self.m)
        # int8 on WASM: a layer with adapters runs its LoRA-free twin with the adapters merged into
        # its int8 weights (mrr/int8_merge.py), one session per (layer, adapter set)
        self.layout = None if dequantized else g.get("int8Matrices")
        self.merged = {}

    def merged_session(self, layer: int, names: list[str]) -> ort.InferenceSession:
        key = (layer, tuple(names))
        if key not in self.merged:
            import onnx
            from onnx import numpy_helper
            from .int8_merge import matrix_names, merged_matrices, row_bias
            path = self.dir / self.m["graphs"]["plainLayers"][layer - 1]
            g = onnx.load(str(path)).graph
            inits = {i.name: numpy_helper.to_array(i, base_dir=str(path.parent)) for i in g.initializer}
            so = ort.SessionOptions()
            so.log_severity_level = 3
            values = []  # the OrtValues must outlive the session
            lora = self.lora_feeds(layer, names)
            for t, n in matrix_names(g).items():
                q = merged_matrices(inits[n["weight"]], inits[n["scale"]], lora[f"lora_{t}_a"], lora[f"lora_{t}_b"])
                values.append((n["weight"], ort.OrtValue.ortvalue_from_numpy(q)))
                if "rowBias" in n:
                    values.append((n["rowBias"], ort.OrtValue.ortvalue_from_numpy(row_bias(q, inits[n["scale"]]))))
            for name, v in values:
                so.add_initializer(name, v)
            self.merged[key] = (ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]), values)
        return self.merged[key][0]

    def lora_feeds(self, layer: int, names: list[str]) -> dict[str, np.ndarray]:
        feeds = {}
        for t, (d_in, d_out) in self.targets.items():
            if names:
                a = np.concatenate([self.adapters[f"{n}.{layer}.{t}.a"] for n in names], 1)
                b = np.concatenate([self.adapters[f"{n}.{layer}.{t}.b"] for n in names], 0)
            else:
                a, b = np.zeros((d_in, 1), np.float32), np.zeros((1, d_out), np.float32)
            feeds[f"lora_{t}_a"], feeds[f"lora_{t}_b"] = a, b
        return feeds

    def score(self, rows: Rows, config: dict) -> np.ndarray:
        """Exit scores [B] of `config` (golden.json form): the steps of its plan, layer by layer."""
        ids = rows.input_ids.numpy()
        B, T = ids.shape
        q = rows.q_lens.numpy().astype(np.int64)
        p = rows.p_lens.numpy().astype(np.int64)
        x = self.emb.run(None, {"input_ids": ids, "token_type_ids": rows.token_type_ids.numpy(),
                                "position_ids": np.tile(np.arange(T, dtype=np.int64), (B, 1))})[0]
        cls_attn = None
        score = None
        steps = arch_from_json(config).plan(self.cfg)
        for step in steps:
            if step.compress:
                w = cls_attn if step.compress.mode == "attention" else np.ones(x.shape[:2], np.float32)
                group, p = merge_plan(q, p, x.shape[1], step.compress.ratio)
                t_out = int((q + 3 + p).max())
                x = self.compress.run(None, {"hidden": x, "weights": w.astype(np.float32), "group": group,
                                             "slots": np.arange(t_out, dtype=np.float32)})[0]
            mask = (np.arange(x.shape[1])[None, :] < (q + p + 3)[:, None]).astype(np.float32)
            names, l = list(step.adapters), step.layer
            # the last layer computes the pooling row only (graphs exported before `keep` compute all)
            keep = np.zeros(1, np.int64) if step is steps[-1] else np.arange(x.shape[1], dtype=np.int64)
            feeds = {"hidden": x, "mask": mask, "keep": keep}
            if names and self.layout:
                session = self.merged_session(l, names)
            elif names or self.plain is None:
                session, feeds = self.layers[l - 1], {**feeds, **self.lora_feeds(l, names)}
            else:
                session = self.plain[l - 1]
            if "keep" not in {i.name for i in session.get_inputs()}:
                del feeds["keep"]
            outs = session.run(None, feeds)
            x, cls_attn = outs[0], outs[1]
            if step.exits:
                score = outs[2]
        return score


def merge_plan(q: np.ndarray, p: np.ndarray, T: int, ratio: int) -> tuple[np.ndarray, np.ndarray]:
    """group [B,T] float32 and new p_lens, per docs/bundle-format.md (numpy twin of merge_groups)."""
    pos = np.arange(T)[None, :]
    start = (q + 2)[:, None]
    end = start + p[:, None]
    new_p = (p + ratio - 1) // ratio
    g = np.where(pos < start, pos, start + (pos - start) // ratio)
    g = np.where(pos == end, start + new_p[:, None], g)
    g = np.where(pos > end, -1, g)
    return g.astype(np.float32), new_p
