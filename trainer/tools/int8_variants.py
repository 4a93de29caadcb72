"""Graph variants for bench/int8-kernels.ts: one layer graph (plain twin) and the single full graph
(hf/) of a bundle in float32 and in every int8 form of mrr/int8.py, plus QDQ static, and real
inputs (batches of 8 scifact query-passage rows, ~200 tokens, and the layer's input hidden states).

cd trainer && .venv/bin/python tools/int8_variants.py --bundle ../models/minilm-l6-scifact \
    --data ../../shared/datasets/scifact --out runs/int8-bench
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as rt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mrr.data import Encoder, load_tokenizer  # noqa: E402
from mrr.int8 import (WEIGHT_FORMATS, fold_casts, quantize_graph, quantize_q8_like_transformersjs,  # noqa: E402
                       quantize_static_qdq)


def batches(data: Path, enc: Encoder, n: int, size: int = 8):
    queries = [json.loads(l)["text"] for l in (data / "queries.jsonl").open()][: n]
    docs = []
    for l in (data / "corpus.jsonl").open():
        d = json.loads(l)
        if len(d["text"]) > 1200:  # long abstracts: ~192 passage tokens
            docs.append(d["title"] + " " + d["text"])
        if len(docs) >= n * size:
            break
    out = []
    for i, q in enumerate(queries):
        r = enc.pairs(q, docs[i * size:(i + 1) * size])
        ids = r.input_ids.numpy()
        out.append({"input_ids": ids, "token_type_ids": r.token_type_ids.numpy(),
                    "attention_mask": (ids != 0).astype(np.int64)})
    return out, {"query": queries[0], "passages": docs[:size]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--data", required=True, help="BEIR folder (queries.jsonl, corpus.jsonl)")
    p.add_argument("--out", required=True)
    p.add_argument("--layer", type=int, default=2)
    a = p.parse_args()
    bundle, out = Path(a.bundle), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    enc = Encoder(load_tokenizer(bundle / "tokenizer.json"))
    bs, texts = batches(Path(a.data), enc, 9)
    (out / "texts.json").write_text(json.dumps(texts))
    emb = rt.InferenceSession(str(bundle / "embeddings.onnx"), providers=["CPUExecutionProvider"])
    feeds_l = []
    hidden_chain = []
    layers = [rt.InferenceSession(str(bundle / f"layer_{l:02d}.plain.onnx"), providers=["CPUExecutionProvider"])
              for l in range(1, a.layer)]
    for b in bs:
        T = b["input_ids"].shape[1]
        pos = np.broadcast_to(np.arange(T, dtype=np.int64), b["input_ids"].shape).copy()
        h = emb.run(None, {"input_ids": b["input_ids"], "token_type_ids": b["token_type_ids"], "position_ids": pos})[0]
        mask = b["attention_mask"].astype(np.float32)
        for s in layers:
            h = s.run(None, {"hidden": h, "mask": mask, "keep": np.arange(T, dtype=np.int64)})[0]
        feeds_l.append({"hidden": h, "mask": mask, "keep": np.arange(T, dtype=np.int64)})
        hidden_chain.append(h)
    # batch 0 is measured, the rest calibrate QDQ
    b0, f0 = bs[0], feeds_l[0]
    meta = {"shape": list(b0["input_ids"].shape), "layer": a.layer}
    for k, v in b0.items():
        v.astype(np.int64).tofile(out / f"{k}.i64")
    f0["hidden"].astype(np.float32).tofile(out / "hidden.f32")
    f0["mask"].astype(np.float32).tofile(out / "mask.f32")
    layer = bundle / f"layer_{a.layer:02d}.plain.onnx"
    hf = bundle / "hf" / "onnx" / "model.onnx"
    for name, src in (("layer", layer), ("hf", hf)):
        onnx.save(fold_casts(onnx.load(str(src))), str(out / f"{name}.fp32.onnx"))
        for fmt in WEIGHT_FORMATS:
            quantize_graph(src, out / f"{name}.{fmt}.onnx", fmt)
    quantize_static_qdq(layer, out / "layer.qdq.onnx", feeds_l[1:])
    quantize_static_qdq(hf, out / "hf.qdq.onnx", [{k: v for k, v in b.items()} for b in bs[1:]])
    quantize_q8_like_transformersjs(hf, out / "hf.q8.onnx")
    meta["variants"] = ["fp32", *WEIGHT_FORMATS, "qdq"]
    meta["hfVariants"] = [*meta["variants"], "q8"]
    meta["bytes"] = {f.name: f.stat().st_size for f in sorted(out.glob("*.onnx"))}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
