"""The second crisis detector: a classifier that reads meaning, not only listed phrases.

The lexicon (``bot.crisis.detector``) is precise and explainable, but it only knows the
phrases someone wrote down. This classifier was fitted by ``tools/train_classifiers.py``
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.crisis.lexicon import Kind
from bot.understanding.embedding import Embedder, shared_embedder
from bot.understanding.linear import LinearTextModel, ModelFileError
from bot.understanding.message import Message

DEFAULT_MODEL = Path(__file__).resolve().parent / "classifier.npz"
CLASSES = ("calm", "info", "suicide", "overdose", "violence")
CRISIS_CLASSES: tuple[Kind, ...] = ("suicide", "overdose", "violence")
"""The crisis classes, in the order they follow ``calm`` and ``info`` in ``CLASSES``."""

ALARM = 0.45
"""P(crisis) at or above this raises the alarm. Chosen on the development sets' trade-off
between missed crises and alarms on messages next to a crisis (``tools/crisis_report.py``).
Session 6: 0.6 missed 12 of 1,282 development crises (plain), 0.5 missed 6. Session 8, all
development sets in every form (14,096 variants): 0.5 missed 53, 0.45 missed 36 for 1 more
alarm on 1,531 messages next to a crisis, 0.4 missed 22 for 5 more; 0.45 was kept because
below it each crisis caught cost about one more alarm on ordinary questions."""
PIECE_ALARM = 0.95
"""The last sentence of a long message alarms alone at this P(crisis): it must be surer than the
whole, since sentences cut from an ordinary question ("I'm shaking, I'm so hurt") read as
alarming more often than the question. Only the last sentence counts alone: in a long post the
story comes first and what the person needs comes last. A story sentence ("his lips were going
grey") followed by a question ("how do I get him to carry naloxone?") is a question; a crisis
told in a long post ends in it, or makes the whole message read as one (``ALARM``). On the
realistic calibration questions, letting any sentence alarm raised 18 alarms in 772 questions,
the last sentence alone 1, with the same crises caught on the development sets."""
PIECE_WHOLE_FLOOR = 0.1
"""...and only when the whole message leans that way at least this much. On the development
sets, the crises that only their last sentence caught read 0.15-0.54 as a whole (an ordinary
question, then "and I've been hurting myself again tonight"); an ordinary question whose last
sentence read as alarming (a parent asking how to keep a son who still uses safer) 0.06."""
PIECE_LEANING = (0.9, 0.3)
"""A second, looser tier for the last sentence: P >= 0.9 when the whole message reads at least
0.3. Two crises told at the end of a long story (a place the writer has gone to, and not meaning
to come home) read 0.94 and 0.92 there, the whole 0.54 and 0.42; no calm message of the
development sets or realistic calibration questions reached both."""
INFO = 0.5
"""P(info) at or above this (and no alarm) adds the crisis line on top of the answer."""

_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|\s+(?:but|and then|so|pero|y luego)\s+")
MIN_PIECE_WORDS = 3
LONG_MESSAGE_WORDS = 20
"""Only messages this long are also read sentence by sentence. At 10 words, the last clause of
an ordinary question ("...but dont know where to go") alarmed out of context; at 20, the
development sets lost no crisis and past-event alarms fell from 9.1% to 7.3%."""
MAX_PIECES = 12


class ClassifierError(RuntimeError):
    """The classifier file is missing, broken or not a crisis classifier (names the file)."""


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
    """The whole message, and for a long one its sentences (at most ``MAX_PIECES``, always
    ending with the last one)."""
    out = [text]
    if len(text.split()) >= LONG_MESSAGE_WORDS:
        parts = [p for p in _SENTENCE.split(text) if len(p.split()) >= MIN_PIECE_WORDS]
        if len(parts) > MAX_PIECES:
            parts = [*parts[: MAX_PIECES - 1], parts[-1]]
        if len(parts) > 1:
            out += parts
    return out


class CrisisClassifier:
    """Probabilities of crisis, by kind, from meaning, letters and words."""

    def __init__(self, path: Path = DEFAULT_MODEL, embedder: Embedder | None = None) -> None:
        try:
            self.model = LinearTextModel(path, embedder or shared_embedder())
        except ModelFileError as exc:
            raise ClassifierError(str(exc)) from None
        if self.model.classes != CLASSES:
            raise ClassifierError(f"{path}: classes {list(self.model.classes)} != {CLASSES}")
        self.path = path
        self.trained_on = self.model.fingerprint

    def probabilities(self, texts: Sequence[str | Message]) -> npt.NDArray[np.float32]:
        return self.model.probabilities(texts)

    def read(self, text: str | Message, alarm: float = ALARM, info: float = INFO) -> Reading:
        """The classifier's view of ``text``: the whole, or its most alarming sentence (only the
        last sentence raises the alarm alone, see ``PIECE_ALARM``)."""
        message = text if isinstance(text, Message) else Message.read(text, self.model.embedder)
        if not message.normalized:
            return Reading(0.0, "suicide", 0.0, alarm=False, informational=False)
        parts: list[str | Message] = [message, *pieces(message.text)[1:]]
        probs = self.probabilities(parts)
        crisis = probs[:, 2:].sum(axis=1)
        worst = int(np.argmax(crisis))
        leaning_last, leaning_whole = PIECE_LEANING
        last_alone = len(parts) > 1 and (
            (crisis[-1] >= PIECE_ALARM and crisis[0] >= PIECE_WHOLE_FLOOR)
            or (crisis[-1] >= leaning_last and crisis[0] >= leaning_whole)
        )
        raised = bool(crisis[0] >= alarm or last_alone)
        p_info = float(probs[0, 1])
        return Reading(
            crisis=float(crisis[worst]),
            kind=CRISIS_CLASSES[int(np.argmax(probs[worst, 2:]))],
            info=p_info,
            alarm=raised,
            informational=not raised and p_info >= info,
        )
