"""One incoming message as every step of the decision reads it, prepared once.

The crisis classifier, the semantic ranker and the intent classifier all need the normalised
text and its sentence embedding, and both classifiers its hashed grams: they are made once per
message. A ``Message`` lives for one decision: it is never stored and never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from bot.understanding.embedding import Embedder
from bot.understanding.features import Hashes, char_grams, gram_hashes, word_grams
from bot.understanding.text import normalize


@dataclass(frozen=True, repr=False)
class Message:
    text: str
    normalized: str
    vector: npt.NDArray[np.float32]
    """Unit-length sentence embedding (zero for an empty message)."""

    @classmethod
    def read(cls, text: str, embedder: Embedder) -> Message:
        normalized = normalize(text)
        return cls(text, normalized, embedder.encode_normalized([normalized])[0])

    @classmethod
    def read_all(cls, texts: Sequence[str], embedder: Embedder) -> list[Message]:
        """``read`` for several texts, embedded in one batch (the pieces of a long message)."""
        normalized = [normalize(t) for t in texts]
        vectors = embedder.encode_normalized(normalized)
        return [cls(t, n, v) for t, n, v in zip(texts, normalized, vectors, strict=True)]

    @cached_property
    def char_hashes(self) -> Hashes:
        """Its character grams (``bot.understanding.features``), hashed once for every
        classifier."""
        return gram_hashes(char_grams(self.normalized))

    @cached_property
    def word_hashes(self) -> Hashes:
        """Its words and word pairs, hashed once for every classifier."""
        return gram_hashes(word_grams(self.normalized))

    def __repr__(self) -> str:  # never show what a person wrote
        return f"Message({len(self.text)} characters)"
