"""Sentence meaning as a vector: the static model the bot ships, read with model2vec and numpy.

The model (``bot/understanding/model/``) was distilled from all-MiniLM-L6-v2 by
``tools/distill_model.py``: one 256-number vector per word piece, averaged over a message.
Similar meanings give vectors that point the same way, whatever the words. No torch, no
network: the files are read from the package, and model hubs are switched off first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property, lru_cache
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
        model = self.model
        self._plain = model.token_mapping is None and model.weights is None
        """A plain table of vectors (as ``tools/distill_model.py`` makes): pooled here."""
        self._unknown = model.unk_token_id
        self._max_chars = (
            None if model.max_length is None else model.max_length * model.median_token_length
        )

    @cached_property
    def words(self) -> frozenset[str]:
        """The whole words the model has a vector of (not word pieces such as "##ates"): read
        once, as the crisis screen and the rankers both ask."""
        vocab = self.model.tokenizer.get_vocab()
        return frozenset(w for w in vocab if w.isalpha())

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text; an empty text gives a zero row."""
        return self.encode_normalized([normalize(t) for t in texts])

    def encode_normalized(self, texts: Sequence[str]) -> Vectors:
        """``encode`` for texts already passed through ``normalize``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._plain:
            vectors = self._pool(texts)
        else:
            vectors = np.asarray(
                self.model.encode(list(texts), use_multiprocessing=False), dtype=np.float32
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = vectors / np.maximum(norms, 1e-9)
        return unit

    def _pool(self, texts: Sequence[str]) -> Vectors:
        """What ``StaticModel.encode`` gives for a plain table, without its batching and
        progress machinery, which cost three times the work itself for one short message:
        the mean of the word pieces' vectors (unknown pieces left out), unit length when the
        model says so. ``tests/test_classifiers.py`` holds it to model2vec's own result."""
        model = self.model
        cut = self._max_chars
        encodings = model.tokenizer.encode_batch_fast(
            [t[:cut] if cut is not None else t for t in texts], add_special_tokens=False
        )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids
            if self._unknown is not None:
                ids = [i for i in ids if i != self._unknown]
            if ids:
                out[row] = model.embedding[ids].mean(axis=0)
        if model.normalize:
            out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-32
        return out

    def encode_one(self, text: str) -> npt.NDArray[np.float32]:
        row: npt.NDArray[np.float32] = self.encode([text])[0]
        return row


@lru_cache(maxsize=2)
def shared_embedder(model_dir: Path = MODEL_DIR) -> Embedder:
    """One embedder per process: the intent ranker and the crisis detector share it."""
    return Embedder(model_dir)
