"""Text normalisation shared by intent matching and crisis detection.

People type on phones, late at night: curly apostrophes, ALL CAPS, stretched letters
("sooooo"), emoji, stray punctuation. Everything that compares text goes through here first.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic variants of quotes and dashes that phones insert.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_NON_WORD = re.compile(r"[^\w]+")
_UNDERSCORE = re.compile(r"_+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")

MAX_TEXT_CHARS = 4096
"""Longer input is cut before matching: nothing a person needs is past Telegram's own limit."""


def fold(text: str) -> str:
    """NFKC ``text`` with typographic quotes and dashes made plain and controls removed."""
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])
    text = text.translate(_TRANSLATE)
    return _CONTROL.sub(" ", text)


def strip_accents(text: str) -> str:
    """Remove diacritics ("qué" -> "que") so Spanish typed without accents still matches."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces.

    Apostrophes inside words are dropped ("I’m" -> "im", "od'd" -> "odd"), letters repeated
    three or more times are cut to two ("sooooo" -> "soo"), emoji and symbols become spaces.
    """
    text = strip_accents(fold(text)).lower()[:MAX_TEXT_CHARS]
    text = _APOSTROPHE.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _UNDERSCORE.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Split already normalised text into words."""
    return text.split()
