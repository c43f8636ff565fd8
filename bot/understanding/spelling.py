"""Spelling repair for the meaning side: "wat happns when u stop takin opates" reads as the
words the catalog uses before it is embedded.

The sentence embedding splits a word it does not know into pieces: "opates" becomes "op" +
"##ates" and lands nowhere near "opiates". The lexical ranker repairs its own words (towards
catalog stems); this does the same for the semantic ranker and the intent classifier, which
read whole words:

- a known misspelling from the synonyms table ("withdrawl", "relaspe", "methadon") becomes its
  word; slang and brand names ("subs", "narcan") are left alone, the embedding knows them
  better than a synonym would say;
- any other word the embedding's vocabulary and the catalog both lack is repaired to the
  closest catalog word (rapidfuzz, the same first letter, a close match), else kept.

The same repair runs when the classifier is fitted (``tools/train_classifiers.py``), so what it
learned and what it reads agree. Nothing is stored; repairs are cached per word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.understanding.text import normalize

MIN_LENGTH = 4
"""Shorter words are left alone: too many real words lie one letter from each other."""
CUTOFF = 80.0
"""rapidfuzz ratio a catalog word needs to replace an unknown word."""
SPELLING_VARIANT = 75.0
"""A synonym variant this close to its word is a misspelling of it, not slang."""


def example_words(examples: Mapping[str, Sequence[str]]) -> list[str]:
    """Every word of the examples, normalised, once, sorted."""
    return sorted({w for texts in examples.values() for t in texts for w in normalize(t).split()})


class Speller:
    """Repairs misspelt words in normalised text towards a vocabulary of target words."""

    def __init__(
        self, targets: Iterable[str], known: Iterable[str], fixes: Mapping[str, str]
    ) -> None:
        words = sorted({t for t in targets if len(t) >= 3})
        self._known = frozenset(known) | frozenset(words)
        # People rarely get the first letter wrong, so only words sharing it are candidates:
        # that also keeps a repair to a few dozen comparisons.
        self._by_first: dict[str, list[str]] = {}
        for word in words:
            self._by_first.setdefault(word[0], []).append(word)
        self._fixes = dict(fixes)
        self.repair = lru_cache(maxsize=20_000)(self._repair)

    @classmethod
    def for_catalog(
        cls,
        examples: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, Sequence[str]],
        vocabulary: Iterable[str],
        words: Iterable[str] | None = None,
    ) -> Speller:
        """Targets: the words of the catalog's examples and the synonyms' words; known: those
        and the embedding's ``vocabulary``; fixes: the synonyms' misspellings. ``words``: the
        examples' words if already known (the intent classifier's file carries them, which
        spares normalising every example at start-up)."""
        fixes: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            canon = normalize(canonical)
            for variant in variants:
                norm = normalize(variant)
                if (
                    norm.isalpha()
                    and norm != canon
                    and canon.isalpha()
                    and fuzz.ratio(norm, canon) >= SPELLING_VARIANT
                ):
                    fixes[norm] = canon
        if words is None:
            words = example_words(examples)
        words = set(words) | {normalize(c) for c in synonyms}
        targets = {w for w in words if w.isalpha() and w not in fixes}
        return cls(targets, (w for w in vocabulary if w.isalpha()), fixes)

    def _repair(self, word: str) -> str:
        candidates = self._by_first.get(word[0], ())
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=CUTOFF)
        return str(best[0]) if best else word

    def correct(self, normalized: str) -> str:
        """``normalized`` (from ``bot.understanding.text.normalize``) with its misspellings
        repaired; the same string when nothing needed it."""
        words = normalized.split()
        out: list[str] = []
        for word in words:
            fixed = self._fixes.get(word)
            if fixed is None:
                unknown = len(word) >= MIN_LENGTH and word.isalpha() and word not in self._known
                fixed = self.repair(word) if unknown else word
            out.append(fixed)
        return " ".join(out) if out != words else normalized

    def correct_text(self, text: str) -> str:
        """``text`` normalised, then repaired."""
        return self.correct(normalize(text))
