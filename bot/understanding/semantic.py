"""The meaning ranker: intents scored by how close a message is to their examples in meaning.

Beside the lexical ranker (``bot.understanding.lexical``), which needs shared words, this one
compares sentence embeddings (``bot.understanding.embedding``): "why do some people get hooked
and others don't" lands near the genetics examples although it shares no content word with
"does addiction run in families". An intent's score is the cosine similarity of the message to
its closest example. The examples are embedded once, at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.embedding import Embedder
from bot.understanding.message import Message


class SemanticRanker:
    """Cosine similarity (-1..1) of a message to each intent's nearest example."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        embedder: Embedder,
        vectors: npt.NDArray[np.floating[Any]] | None = None,
    ) -> None:
        """``vectors``: the examples' embeddings, in order, if already made (else made here)."""
        self.embedder = embedder
        self.intent_ids = [iid for iid, phrases in examples.items() if phrases]
        texts: list[str] = []
        starts: list[int] = []
        for iid in self.intent_ids:
            starts.append(len(texts))
            texts.extend(examples[iid])
        if vectors is not None and vectors.shape == (len(texts), embedder.dim):
            self._vectors = vectors.astype(np.float32)
        else:
            self._vectors = embedder.encode(texts)
        self._starts = np.array(starts, dtype=np.intp)

    def scores(self, text: str | Message) -> dict[str, float]:
        """Every intent's similarity to ``text`` (its closest example)."""
        message = text if isinstance(text, Message) else Message.read(text, self.embedder)
        if not self.intent_ids or not message.normalized:
            return {}
        sims = self._vectors @ message.vector
        best = np.maximum.reduceat(sims, self._starts)
        return dict(zip(self.intent_ids, best.tolist(), strict=True))
