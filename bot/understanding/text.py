"""Text normalisation shared by intent matching and crisis detection.

People type on phones, late at night: curly apostrophes, ALL CAPS, stretched letters
("sooooo"), emoji, stray punctuation. Some text hides words on purpose or by accident: a
zero-width space or a soft hyphen inside a word, Cyrillic or Greek look-alike letters, letters
spaced out ("k i l l"), digits for letters ("k1ll"). Everything that compares text goes through
``normalize`` first, so the crisis check and the matcher read the same words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

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
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_NON_WORD = re.compile(r"[^\w]+")
_UNDERSCORE = re.compile(r"_+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")
_SPACED_LETTERS = re.compile(r"(?<![\w'])(?:[a-z][ .*_-]){2,}[a-z](?![\w'])")
"""Three or more single letters, one separator apart ("k i l l", "k.i.l.l"): one word spelled
out. A wider gap ("k i l l   m e") separates the words."""
_LEET = re.compile(r"(?<=[a-z])[013457@$]+(?=[a-z])|(?<=[a-z])[0134@$]+\b")
_LEET_MAP = str.maketrans("013457@$", "oieastas")

_EMOJI_WORDS = str.maketrans(
    {
        "\U0001f52a": " knife ",  # 🔪
        "\U0001f5e1": " knife ",  # 🗡 dagger
        "\U0001fa92": " razor ",  # 🪒
        "\U0001f52b": " gun ",  # 🔫
        "\U0001f48a": " pills ",  # 💊
        "\U0001f489": " needle ",  # 💉
        "\U0001fa78": " blood ",  # 🩸
        "\u26b0": " coffin ",  # ⚰
        "\U0001faa6": " grave ",  # 🪦
        "\U0001faa2": " rope ",  # 🪢
    }
)
"""Emoji that stand for the means or the harm in a crisis message ("🔪🩸 again"), read as the
word they show; every other emoji becomes a space. Faces and hearts say how someone feels
about a sentence, not what it is about, and "💀" mostly means laughing: they are left out."""

MAX_TEXT_CHARS = 4096
"""Longer input is cut before matching: nothing a person needs is past Telegram's own limit."""


def _invisible(ch: str) -> bool:
    """Format characters (zero-width spaces and joiners, soft hyphens, direction marks)."""
    return unicodedata.category(ch) == "Cf"


@lru_cache(maxsize=1)
def _look_alikes() -> dict[int, str]:
    """Non-Latin letters that look like a Latin letter, mapped to it ("а" Cyrillic -> "a").

    From Unicode's confusables data as shipped by the ``confusable-homoglyphs`` package, read
    once. Both cases are kept ("Т" Cyrillic -> "T"), since text is folded before lower-casing.
    Accented Latin letters are not look-alikes of plain ones in the data, so Spanish keeps its
    "ñ" until accents are stripped.
    """
    import confusable_homoglyphs

    data_file = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    data: dict[str, list[dict[str, str]]] = json.loads(data_file.read_text(encoding="utf-8"))
    table: dict[int, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        letters = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii()]
        letters = [c for c in letters if c.isalpha()]
        # Same case first: Greek "Ι" (capital iota) reads as "I", not as the "l" it also resembles.
        letters.sort(key=lambda c: c.isupper() != char.isupper())
        if not letters:
            continue
        # Unicode groups I-like capitals under "l"; by name they are an I ("Ι" iota, "І").
        name = unicodedata.name(char, "")
        if letters[0] == "l" and (name.endswith(" I") or "IOTA" in name):
            letters[0] = "i"
        table[ord(char)] = letters[0]
    return table


def fold(text: str) -> str:
    """NFKC ``text``: typographic quotes and dashes made plain, invisible characters removed
    (so a zero-width space or soft hyphen can't split a word) and control characters spaced."""
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])
    text = text.translate(_TRANSLATE)
    if not text.isascii():
        text = "".join(ch for ch in text if not _invisible(ch))
    return _CONTROL.sub(" ", text)


def _join_spaced(match: re.Match[str]) -> str:
    return match.group(0)[::2]


def _unleet(match: re.Match[str]) -> str:
    return match.group(0).translate(_LEET_MAP)


def strip_accents(text: str) -> str:
    """Remove diacritics ("qué" -> "que") so Spanish typed without accents still matches."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces.

    Apostrophes inside words are dropped ("I’m" -> "im", "od'd" -> "odd"), letters repeated
    three or more times are cut to two ("sooooo" -> "soo"), emoji and symbols become spaces
    (those that show a crisis's means or harm become their word: "🔪" -> "knife").
    Look-alike letters become Latin ones ("kіll" with a Cyrillic "і" -> "kill"), digits
    between letters become the letters they stand for ("k1ll" -> "kill"), and three or more
    single letters in a row are joined ("k i l l" -> "kill").
    """
    text = fold(text)
    if not text.isascii():
        text = strip_accents(text.translate(_EMOJI_WORDS).translate(_look_alikes()))
    text = text.lower()
    text = _APOSTROPHE.sub("", text[:MAX_TEXT_CHARS])
    text = _LEET.sub(_unleet, text)
    text = _SPACED_LETTERS.sub(_join_spaced, text)
    text = _NON_WORD.sub(" ", text)
    text = _UNDERSCORE.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Split already normalised text into words."""
    return text.split()
