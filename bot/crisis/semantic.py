"""The second crisis detector: a classifier that reads meaning, not only listed phrases.

The lexicon (``bot.crisis.detector``) is precise and explainable, but it only knows the
phrases someone wrote down. This classifier was fitted by ``tools/train_crisis_classifier.py``
on the exemplars in ``content/crisis_exemplars.yaml`` (crisis messages of each kind, and calm
ones: informational questions, the past, idioms, news, ordinary questions) plus every catalog
example as a calm message. It reads the features of ``bot.crisis.features`` and gives each of
five classes a probability:

- ``suicide``, ``overdose``, ``violence``: a crisis of that kind;
- ``info``: a question *about* a crisis topic ("warning signs of suicide"): answered, with the
  crisis line on top;
- ``calm``: anything else.

A long message is read whole and sentence by sentence, and its most alarming part counts, so a
crisis said in the middle of a long post is not averaged away.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.crisis.features import char_grams, tfidf, word_grams
from bot.crisis.lexicon import Kind
from bot.understanding.embedding import Embedder, shared_embedder
from bot.understanding.text import normalize

DEFAULT_MODEL = Path(__file__).resolve().parent / "classifier.npz"
CLASSES = ("calm", "info", "suicide", "overdose", "violence")
CRISIS_CLASSES: tuple[Kind, ...] = ("suicide", "overdose", "violence")
"""The crisis classes, in the order they follow ``calm`` and ``info`` in ``CLASSES``."""

ALARM = 0.8
"""P(crisis) at or above this raises the alarm. Chosen on the development sets' trade-off
between missed crises and alarms on ordinary questions (tools/crisis_report.py)."""
INFO = 0.5
"""P(info) at or above this (and no alarm) adds the crisis line on top of the answer."""

_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|\s+(?:but|and then|so|pero|y luego)\s+")
MIN_PIECE_WORDS = 3
LONG_MESSAGE_WORDS = 10
MAX_PIECES = 12


class ClassifierError(RuntimeError):
    """The classifier file is missing or broken (names the file)."""


@dataclass(frozen=True)
class Reading:
    """What the classifier made of a message (never the message itself)."""

    crisis: float
    """P(any crisis kind) for the most alarming part of the message."""
    kind: Kind
    """The most likely crisis kind (meaningful when ``alarm``)."""
    info: float
    """P(an informational question about a crisis topic)."""
    alarm: bool
    informational: bool


def fingerprint(path: Path) -> str:
    """What the classifier was trained on: the exemplar file's SHA-256 (first 16 hex digits)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def pieces(text: str) -> list[str]:
    """The whole message, and for a long one its sentences (at most ``MAX_PIECES``)."""
    out = [text]
    if len(text.split()) >= LONG_MESSAGE_WORDS:
        parts = [p for p in _SENTENCE.split(text) if len(p.split()) >= MIN_PIECE_WORDS]
        if len(parts) > 1:
            out += parts[:MAX_PIECES]
    return out


class CrisisClassifier:
    """Probabilities of crisis, by kind, from meaning, letters and words."""

    def __init__(self, path: Path = DEFAULT_MODEL, embedder: Embedder | None = None) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise ClassifierError(f"{path}: cannot read the crisis classifier ({exc})") from None
        if tuple(str(c) for c in arrays["classes"]) != CLASSES:
            raise ClassifierError(f"{path}: classes {list(arrays['classes'])} != {CLASSES}")
        self.path = path
        self.trained_on = str(arrays["exemplars_sha256"])
        self.embedder = embedder or shared_embedder()
        self._char_vocab = {str(g): i for i, g in enumerate(arrays["char_vocab"])}
        self._word_vocab = {str(g): i for i, g in enumerate(arrays["word_vocab"])}
        self._char_idf = arrays["char_idf"].astype(np.float32)
        self._word_idf = arrays["word_idf"].astype(np.float32)
        self._char_coef = arrays["char_coef"].astype(np.float32)
        self._word_coef = arrays["word_coef"].astype(np.float32)
        self._emb_coef = arrays["emb_coef"].astype(np.float32)
        self._intercept = arrays["intercept"].astype(np.float32)
        if self._emb_coef.shape[0] != self.embedder.dim:
            raise ClassifierError(
                f"{path}: trained for {self._emb_coef.shape[0]}-number embeddings, the model "
                f"gives {self.embedder.dim}: retrain with tools/train_crisis_classifier.py"
            )

    def logits(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Class scores before the softmax, one row per text."""
        z = self.embedder.encode(texts) @ self._emb_coef + self._intercept
        for row, text in enumerate(texts):
            norm = normalize(text)
            for i, v in tfidf(char_grams(norm), self._char_vocab, self._char_idf):
                z[row] += v * self._char_coef[i]
            for i, v in tfidf(word_grams(norm), self._word_vocab, self._word_idf):
                z[row] += v * self._word_coef[i]
        out: npt.NDArray[np.float32] = z
        return out

    def probabilities(self, texts: list[str]) -> npt.NDArray[np.float32]:
        z = self.logits(texts)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        probs: npt.NDArray[np.float32] = z / z.sum(axis=1, keepdims=True)
        return probs

    def read(self, text: str, alarm: float = ALARM, info: float = INFO) -> Reading:
        """The classifier's view of ``text``: its most alarming part decides."""
        if not text or not text.strip():
            return Reading(0.0, "suicide", 0.0, alarm=False, informational=False)
        probs = self.probabilities(pieces(text))
        crisis = probs[:, 2:].sum(axis=1)
        worst = int(np.argmax(crisis))
        p_crisis = float(crisis[worst])
        kind = CRISIS_CLASSES[int(np.argmax(probs[worst, 2:]))]
        p_info = float(probs[0, 1])
        raised = p_crisis >= alarm
        return Reading(
            crisis=p_crisis,
            kind=kind,
            info=p_info,
            alarm=raised,
            informational=not raised and p_info >= info,
        )
