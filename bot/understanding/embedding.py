"""Sentence meaning as a vector: the static model the bot ships, read with model2vec and numpy.

The model (``bot/understanding/model/``) was distilled from all-MiniLM-L6-v2 by
``tools/distill_model.py``: one 256-number vector per word piece, averaged over a message.
Similar meanings give vectors that point the same way, whatever the words. No torch, no
network: the files are read from the package, and model hubs are switched off first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.understanding.text import normalize

MODEL_DIR = Path(__file__).resolve().parent / "model"

Vectors = npt.NDArray[np.float32]


class ModelError(RuntimeError):
    """The embedding model is missing or unreadable (names the folder)."""


class Embedder:
    """Turns texts into unit-length vectors (rows), after the shared normalisation."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if not (model_dir / "model.safetensors").is_file():
            raise ModelError(f"{model_dir}: no model.safetensors (run tools/distill_model.py)")
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(str(model_dir))
        self.dim = int(self.model.dim)

    def vocabulary(self) -> frozenset[str]:
        """The whole words the model has a vector of (not word pieces such as "##ates")."""
        vocab = self.model.tokenizer.get_vocab()
        return frozenset(w for w in vocab if w.isalpha())

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text; an empty text gives a zero row."""
        return self.encode_normalized([normalize(t) for t in texts])

    def encode_normalized(self, texts: Sequence[str]) -> Vectors:
        """``encode`` for texts already passed through ``normalize``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(
            self.model.encode(list(texts), use_multiprocessing=False), dtype=np.float32
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = vectors / np.maximum(norms, 1e-9)
        return unit

    def encode_one(self, text: str) -> npt.NDArray[np.float32]:
        row: npt.NDArray[np.float32] = self.encode([text])[0]
        return row


@lru_cache(maxsize=2)
def shared_embedder(model_dir: Path = MODEL_DIR) -> Embedder:
    """One embedder per process: the intent ranker and the crisis detector share it."""
    return Embedder(model_dir)
