"""The three rankers together: one message in, the intents ranked best first.

- the **lexical** ranker (``bot.understanding.lexical``) reads the words as written, with its own
  synonym table and typo repair;
- the **semantic** ranker (``bot.understanding.semantic``) and the **intent classifier**
  (``bot.understanding.classifier``) read the message's meaning, after the spelling repair of
  ``bot.understanding.spelling``, so "wat happns when u stop takin opates" is read as its
  spelled-out twin.

Their scores are fused (``bot.understanding.fusion``). The engine ranks every message through
this class, and ``tools/calibrate.py`` builds one per cross-validation fold, so the confidence
models are fitted on rankings made exactly the way the bot makes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.embedding import Embedder
from bot.understanding.fusion import fuse
from bot.understanding.lexical import Matcher, Ranking
from bot.understanding.linear import LinearTextModel
from bot.understanding.message import Message
from bot.understanding.semantic import SemanticRanker
from bot.understanding.spelling import Speller
from bot.understanding.substances import SubstanceReader


def respelled_examples(
    examples: Mapping[str, Sequence[str]], speller: Speller
) -> dict[str, list[str]]:
    """The examples as the meaning side reads them (spelling repaired)."""
    return {iid: [speller.correct_text(t) for t in texts] for iid, texts in examples.items()}


class Rankers:
    """Lexical, semantic and classifier rankings of a message, fused."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        keywords: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, Sequence[str]],
        embedder: Embedder,
        classifier: LinearTextModel | None = None,
        example_vectors: npt.NDArray[np.floating[Any]] | None = None,
    ) -> None:
        """``example_vectors``: the respelled examples' embeddings, in order, if already made."""
        self.embedder = embedder
        self.matcher = Matcher(examples, keywords, synonyms)
        shipped = classifier.extra.get("example_words") if classifier is not None else None
        self.speller = Speller.for_catalog(
            examples,
            synonyms,
            embedder.words,
            None if shipped is None else [str(w) for w in shipped],
        )
        count = sum(len(texts) for texts in examples.values() if texts)
        if example_vectors is not None and example_vectors.shape == (count, embedder.dim):
            # Made from the respelled examples when the classifier was fitted.
            self.semantic = SemanticRanker(examples, embedder, example_vectors)
        else:
            respelled = respelled_examples(examples, self.speller)
            self.semantic = SemanticRanker(respelled, embedder)
        self.classifier = classifier
        self.substances = SubstanceReader(self.matcher.analyzer)

    def meaning(self, message: Message) -> Message:
        """``message`` as the meaning side reads it: misspellings repaired, re-embedded only
        when a word changed."""
        fixed = self.speller.correct(message.normalized)
        if fixed == message.normalized:
            return message
        return Message(message.text, fixed, self.embedder.encode_normalized([fixed])[0])

    def other_substance_only(self, ranking: Ranking) -> bool:
        """The ranked message names another substance and no opioid."""
        return self.substances.other_only(ranking.terms)

    def rank(self, message: Message) -> Ranking:
        lexical = self.matcher.analyse(message.text, limit=12)
        meaning = self.meaning(message)
        by_classifier = None
        if self.classifier is not None and meaning.normalized:
            probs = self.classifier.probabilities([meaning])[0]
            by_classifier = dict(zip(self.classifier.classes, probs.tolist(), strict=True))
        return fuse(lexical, self.semantic.scores(meaning), by_classifier)
