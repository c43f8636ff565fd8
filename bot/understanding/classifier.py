"""The third ranker: a classifier trained on the catalog, for wording no example shares.

A multinomial logistic regression over meaning, letters and words
(``bot.understanding.linear``), fitted by ``tools/train_classifiers.py`` on every catalog
example, the out-of-scope examples and the calibration parts of the realistic question sets.
Where the nearest-example rankers look for one close phrasing, the classifier weighs every
example of every intent at once, which suits long, indirect questions.

The file records a fingerprint of the catalog examples it was fitted on. When the catalog has
changed since (an operator edited it), the engine leaves the classifier out and says so in the
log, rather than rank with a model of another catalog.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.understanding.embedding import Embedder
from bot.understanding.linear import LinearTextModel
from bot.understanding.message import Message

DEFAULT_MODEL = Path(__file__).resolve().parent / "intents.npz"


def catalog_fingerprint(examples: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 (16 hex digits) of the intents and their examples, in a stable order."""
    data = json.dumps({k: list(v) for k, v in sorted(examples.items())}, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class IntentClassifier:
    """P(intent) for a message, over the catalog's intents and ``out_of_scope``."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        self.model = LinearTextModel(path, embedder)
        self.fingerprint = self.model.fingerprint
        self.example_vectors = self.model.extra.get("example_vectors")
        """The catalog examples' embeddings, stored with the model (start-up needn't make them)."""

    def fits(self, examples: Mapping[str, Sequence[str]]) -> bool:
        """True when the model was fitted on exactly these examples."""
        return self.fingerprint == catalog_fingerprint(examples)

    def scores(self, text: str | Message) -> dict[str, float]:
        message = text if isinstance(text, Message) else Message.read(text, self.model.embedder)
        if not message.normalized:
            return {}
        probs = self.model.probabilities([message])[0]
        return dict(zip(self.model.classes, probs.tolist(), strict=True))
