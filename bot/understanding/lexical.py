"""Intent matching: how sure are we that a message asks about each topic of the catalog?

Messages and catalog examples go through the same pipeline: ``normalize`` (case, quotes,
punctuation, stretched letters), slang and misspellings to canonical words (``synonyms.yaml``),
typo repair against the catalog's vocabulary (rapidfuzz), stop-word removal and stemming.
Each intent is then scored on two views of the same words, weighted by how specific a word is
to few intents (inverse document frequency):

* coverage: how much of the message the intent's vocabulary explains. Words the catalog has
  never seen count against every intent, which is what keeps "how do i reset my phone" out.
* nearest example: the best IDF-weighted overlap (Dice) with a single example phrasing.

The score (0-100) blends the two. ``Engine`` turns scores into answer / suggest / fallback.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.understanding.text import normalize

# Function words that say nothing about the topic. Question words go too: "what is
# methadone" and "how does methadone work" ask about the same thing.
STOPWORDS = frozenset(
    """
    a about above after again all am an and any anyone are as at be been being but by can could
    did do does doing dont for from had has have having he her here hers him his how i id if im
    in into is it its ive just me might my myself of on or our ours out she should so some such
    than that thats the their them then there these they this those to too was we were what
    whats when where which while who whom why will with would pls
    please plz hey very much many also get gets got getting go going gonna wanna want kind
    sort tell bit lot thing things someone somebody something anything ok okay yeah yes no
    not like ever even way mean does doesnt isnt arent cant wont im ill whats hows r
    """.split()
)
# Greetings and thanks are what those intents are made of: never drop them as noise.
KEEP = frozenset({"hi", "hello", "hey", "thanks", "thank", "thx", "ty", "help", "bye"})

COVERAGE_WEIGHT = 0.45
"""Share of the score that comes from coverage; the rest is the nearest example."""
TYPO_CUTOFF = 85.0
"""rapidfuzz ratio a word needs to be repaired to a catalog word (after stemming)."""
MIN_TYPO_LENGTH = 5
TYPICAL_SHARE = 0.15
"""A word in this share of an intent's examples (or a keyword) is fully typical of it."""
TYPICAL_CAP = 40
"""At most this many examples count when judging how typical a word is of an intent."""
SHARPEN = 0.0
"""Exponent of the relative typicality (0 turns it off)."""
UNKNOWN_FACTOR = 0.8
"""Weight of a word the catalog has never seen, relative to the rarest known word."""
"""Shorter words are too easily one letter away from another real word (rain, brain)."""


# "16mg" -> "16 mg", so units are words the synonym table can map (mg -> dose).
_NUMBER_UNIT = re.compile(r"\b(\d+)([a-z]+)\b")
NUMBER = "num"
"""Every number is the same word to the matcher: amounts matter, their values don't."""


@dataclass(frozen=True)
class Match:
    intent: str
    score: float
    """0-100: the blend of coverage and nearest example."""
    coverage: float = 0.0
    """0-1: share of the message's weight this intent's vocabulary explains."""
    nearest: float = 0.0
    """0-1: IDF-weighted Dice overlap with this intent's closest example."""
    known: float = 1.0
    """0-1: share of the message's weight in words the catalog knows at all."""
    lexical: float = 0.0
    """0-100: the lexical score alone (set by ``bot.understanding.fusion``)."""
    semantic: float = 0.0
    """0-1: cosine similarity to the intent's closest example (set by fusion)."""
    classifier: float = 0.0
    """0-1: the intent classifier's probability (set by fusion)."""


@dataclass(frozen=True)
class Ranking:
    matches: list[Match]
    """Best first."""
    n_terms: int
    """Content words in the message (after stop words are dropped)."""
    terms: tuple[str, ...] = ()
    """Those words, as the matcher compared them (canonical, stemmed)."""


class Analyzer:
    """Turns text into the weighted terms the matcher compares."""

    def __init__(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._single: dict[str, str] = {}
        phrases: list[tuple[str, str]] = []
        for canonical, variants in synonyms.items():
            canon = normalize(canonical)
            for variant in variants:
                norm = normalize(variant)
                if " " in norm:
                    phrases.append((norm, canon))
                elif norm and norm != canon:
                    self._single[norm] = canon
        phrases.sort(key=lambda p: -len(p[0]))
        self._phrase_map = dict(phrases)
        self._phrase_re = (
            re.compile(r"\b(?:" + "|".join(re.escape(p) for p, _ in phrases) + r")\b")
            if phrases
            else None
        )
        self._vocabulary: list[str] = []
        self._known: frozenset[str] = frozenset()
        self.stem = lru_cache(maxsize=50_000)(self._stem)
        self.repair = lru_cache(maxsize=20_000)(self._repair)

    def _stem(self, word: str) -> str:
        return str(self._stemmer.stemWord(word))

    def set_vocabulary(self, stems: Iterable[str]) -> None:
        """The stems the catalog knows; unknown words are repaired towards these."""
        self._known = frozenset(stems)
        self._vocabulary = sorted(s for s in self._known if len(s) >= 3)
        self.repair.cache_clear()

    def _repair(self, word: str) -> str | None:
        """The catalog stem a misspelt word most likely means, or None."""
        if len(word) < MIN_TYPO_LENGTH or not self._vocabulary:
            return None
        best = process.extractOne(
            word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
        )
        # People rarely get the first letter wrong; requiring it avoids most false repairs.
        return best[0] if best and best[0][0] == word[0] else None

    def words(self, text: str) -> list[str]:
        """Normalised words with slang and multi-word variants made canonical."""
        norm = _NUMBER_UNIT.sub(r"\1 \2", normalize(text))
        if self._phrase_re is not None:
            norm = self._phrase_re.sub(lambda m: self._phrase_map[m.group(0)], norm)
        return [NUMBER if w.isdigit() else self._single.get(w, w) for w in norm.split()]

    def terms(self, text: str, *, repair: bool = False) -> list[str]:
        """Content stems of ``text`` in order, without duplicates."""
        out: list[str] = []
        seen: set[str] = set()
        for word in self.words(text):
            if word in STOPWORDS and word not in KEEP:
                continue
            stem = self.stem(word)
            if repair and stem not in self._known:
                fixed = self.repair(stem)
                if fixed is not None:
                    stem = fixed
            if stem not in seen:
                seen.add(stem)
                out.append(stem)
        return out


class Matcher:
    """Scores a message against every intent of a catalog."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        keywords: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, Sequence[str]],
    ) -> None:
        self.analyzer = Analyzer(synonyms)
        self.intent_ids: list[str] = list(examples)
        index = {iid: i for i, iid in enumerate(self.intent_ids)}
        # stem -> {intent index: weight in [0, 1]}: how typical the word is of the intent.
        presence: dict[str, dict[int, float]] = defaultdict(dict)
        example_terms: list[tuple[int, list[str]]] = []
        for iid, phrases in examples.items():
            i = index[iid]
            counts: dict[str, int] = defaultdict(int)
            # Capped: a broad class (the off-topic examples) must not dilute its own words.
            n = max(1, min(len(phrases), TYPICAL_CAP))
            for phrase in phrases:
                terms = self.analyzer.terms(phrase)
                if terms:
                    example_terms.append((i, terms))
                for term in terms:
                    counts[term] += 1
            for term, count in counts.items():
                presence[term][i] = min(1.0, count / (TYPICAL_SHARE * n))
            for keyword in keywords.get(iid, ()):
                for term in self.analyzer.terms(keyword):
                    presence[term][i] = 1.0
        if SHARPEN:
            # A word counts most for the intent it is most typical of: "subs" appears in
            # buprenorphine, dosing and myths examples, but it is buprenorphine's word.
            for by_intent in presence.values():
                top = max(by_intent.values())
                for i, weight in by_intent.items():
                    by_intent[i] = (weight / top) ** SHARPEN
        n_intents = max(1, len(self.intent_ids))
        self.idf: dict[str, float] = {
            term: math.log(1.0 + n_intents / len(by_intent)) for term, by_intent in presence.items()
        }
        self.unknown_idf = UNKNOWN_FACTOR * math.log(1.0 + n_intents)
        self._presence = {t: tuple(d.items()) for t, d in presence.items()}
        # stem -> the examples that hold it; each example's IDF mass. The examples come grouped
        # by intent, in intent order: ``_first_example`` marks where each intent's group starts.
        postings: dict[str, list[int]] = defaultdict(list)
        for e, (_, terms) in enumerate(example_terms):
            for term in terms:
                postings[term].append(e)
        self._postings = {t: np.array(v, dtype=np.intp) for t, v in postings.items()}
        self._example_mass = np.array(
            [sum(self.idf[t] for t in terms) for _, terms in example_terms], dtype=np.float64
        )
        owners = np.array([i for i, _ in example_terms], dtype=np.intp)
        self._intents_with_examples = np.unique(owners)
        self._first_example = np.searchsorted(owners, self._intents_with_examples)
        self.analyzer.set_vocabulary(self.idf)

    def _nearest(self, terms: list[str], weights: list[float], total: float) -> dict[int, float]:
        """Each intent's best Dice overlap (IDF-weighted) between the message and one of its
        examples; intents sharing no word are left out."""
        overlap = np.zeros(len(self._example_mass), dtype=np.float64)
        for term, weight in zip(terms, weights, strict=True):
            held = self._postings.get(term)
            if held is not None:
                overlap[held] += weight
        if not overlap.any():
            return {}
        dice: npt.NDArray[np.float64] = 2.0 * overlap / (total + self._example_mass)
        best = np.maximum.reduceat(dice, self._first_example)
        shared = best > 0.0
        return dict(
            zip(self._intents_with_examples[shared].tolist(), best[shared].tolist(), strict=True)
        )

    def rank(self, text: str, limit: int = 5) -> list[Match]:
        """The best intents for ``text``, best first, with scores 0-100."""
        return self.analyse(text, limit).matches

    def analyse(self, text: str, limit: int = 8) -> Ranking:
        """The best intents for ``text`` and how many content words it had."""
        terms = self.analyzer.terms(text, repair=True)
        if not terms:
            return Ranking([], 0, tuple(terms))
        weights = [self.idf.get(t, self.unknown_idf) for t in terms]
        total = sum(weights)
        coverage: dict[int, float] = defaultdict(float)
        for term, weight in zip(terms, weights, strict=True):
            for i, typical in self._presence.get(term, ()):
                coverage[i] += weight * typical
        nearest = self._nearest(terms, weights, total)
        known = sum(w for t, w in zip(terms, weights, strict=True) if t in self.idf) / total
        scores = [
            (
                100.0
                * (COVERAGE_WEIGHT * cov / total + (1.0 - COVERAGE_WEIGHT) * nearest.get(i, 0.0)),
                i,
                cov,
            )
            for i, cov in coverage.items()
        ]
        scores.sort(key=lambda s: -s[0])  # stable: ties keep their order
        best = [
            Match(self.intent_ids[i], score, cov / total, nearest.get(i, 0.0), known)
            for score, i, cov in scores[:limit]
        ]
        return Ranking(best, len(terms), tuple(terms))
