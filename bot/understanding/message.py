"""One incoming message as every step of the decision reads it, prepared once.

The crisis classifier, the semantic ranker and the intent classifier all need the normalised
text and its sentence embedding; making them once per message keeps ``decide()`` well under a
millisecond. A ``Message`` lives for one decision: it is never stored and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.understanding.embedding import Embedder
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

    def __repr__(self) -> str:  # never show what a person wrote
        return f"Message({len(self.text)} characters)"
