"""A linear classifier over text features, fitted offline and shipped as one ``.npz`` file.

Both the crisis classifier (``bot/crisis/classifier.npz``) and the intent classifier
(``bot/understanding/intents.npz``) are multinomial logistic regressions over the features of
``bot.understanding.features``, fitted by ``tools/train_classifiers.py``. Each file records the
classes, the vocabularies with their IDF weights, the coefficients, and a fingerprint of the
data it was fitted on, so a stale model can be noticed (a test fails; the engine warns).
Reading a message costs one embedding, one sorted search of its grams' hashes per vocabulary
(``features.GramIndex``) and a small matrix product: well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.embedding import Embedder
from bot.understanding.features import GramIndex, tfidf
from bot.understanding.message import Message

Matrix = npt.NDArray[np.float32]


def _coefficients(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The gram coefficients as stored: float16 files stay float16 in memory (half the size;
    each message's few rows are summed in float32)."""
    return array if array.dtype == np.float16 else array.astype(np.float32)


class ModelFileError(RuntimeError):
    """A classifier file is missing, unreadable or does not fit the embedding model."""


class LinearTextModel:
    """Class probabilities for texts, from a file written by ``tools/train_classifiers.py``."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{path}: cannot read the classifier ({exc})") from None
        self.path = path
        self.embedder = embedder
        try:
            self._load(arrays)
        except KeyError as exc:
            raise ModelFileError(f"{path}: not a classifier file (no {exc})") from None

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, npt.NDArray[Any]], embedder: Embedder
    ) -> LinearTextModel:
        """A model straight from the arrays a fit produced (used by the training tools)."""
        model = cls.__new__(cls)
        model.path = Path("<memory>")
        model.embedder = embedder
        model._load(arrays)
        return model

    extra: dict[str, npt.NDArray[Any]]
    """Arrays stored beside the model that it does not use itself (e.g. example vectors)."""

    def _load(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        path, embedder = self.path, self.embedder
        known = {"classes", "fingerprint", "char_vocab", "word_vocab", "char_idf", "word_idf"}
        known |= {"char_coef", "word_coef", "emb_coef", "intercept"}
        self.extra = {k: v for k, v in arrays.items() if k not in known}
        self.classes: tuple[str, ...] = tuple(str(c) for c in arrays["classes"])
        self.fingerprint = str(arrays["fingerprint"])
        self._char_vocab = GramIndex(arrays["char_vocab"])
        self._word_vocab = GramIndex(arrays["word_vocab"])
        self._char_idf = arrays["char_idf"].astype(np.float32)
        self._word_idf = arrays["word_idf"].astype(np.float32)
        self._char_coef = _coefficients(arrays["char_coef"])
        self._word_coef = _coefficients(arrays["word_coef"])
        self._emb_coef = arrays["emb_coef"].astype(np.float32)
        self._intercept = arrays["intercept"].astype(np.float32)
        if self._emb_coef.shape[0] != embedder.dim:
            raise ModelFileError(
                f"{path}: fitted on {self._emb_coef.shape[0]}-number embeddings, the model gives "
                f"{embedder.dim}: refit with tools/train_classifiers.py"
            )

    def logits(self, texts: Sequence[str | Message]) -> Matrix:
        """Class scores before the softmax, one row per text."""
        strings = [t for t in texts if not isinstance(t, Message)]
        read = iter(Message.read_all(strings, self.embedder))
        messages = [t if isinstance(t, Message) else next(read) for t in texts]
        vectors = np.stack([m.vector for m in messages])
        z: Matrix = vectors @ self._emb_coef + self._intercept
        for row, message in enumerate(messages):
            index, values = tfidf(message.char_hashes, self._char_vocab, self._char_idf)
            z[row] += values @ self._char_coef[index]
            index, values = tfidf(message.word_hashes, self._word_vocab, self._word_idf)
            z[row] += values @ self._word_coef[index]
        return z

    def probabilities(self, texts: Sequence[str | Message]) -> Matrix:
        """Softmax over the classes, one row per text."""
        z = self.logits(texts)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        probs: Matrix = z / z.sum(axis=1, keepdims=True)
        return probs
