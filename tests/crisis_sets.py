"""The crisis evaluation sets (tests/data/crisis_eval) and the forms each message is tried in.

The sets were written by people who never saw the lexicon or the detector. Each message is
tried as written and in mechanical disguises an outside tester used: capitals, curly quotes,
a zero-width space or a soft hyphen inside a word, Cyrillic look-alike letters, and spaced-out
letters. ``*_heldout.yaml`` files are never used to tune anything; they are reported apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data" / "crisis_eval"

POSITIVE_SETS = ("en_positive", "en_typo_positive", "es_positive")
ADJACENT_SETS = ("en_adjacent", "es_adjacent")


@dataclass(frozen=True)
class Case:
    text: str
    set: str
    split: str  # "dev" or "heldout"
    kind: str | None = None  # crisis kind, for positives
    form: str | None = None  # how it was written (direct, passive, typo...), for positives
    category: str | None = None  # informational, past, idiom, news, ordinary, for adjacent
    lang: str = "en"


def load(name: str, split: str) -> list[Case]:
    """One file: ``<name>_<split>.yaml``."""
    data = yaml.safe_load((DATA / f"{name}_{split}.yaml").read_text(encoding="utf-8"))
    return [
        Case(
            text=str(c["text"]),
            set=name,
            split=split,
            kind=c.get("kind"),
            form=c.get("form"),
            category=c.get("category"),
            lang=str(c.get("lang", "es" if name.startswith("es_") else "en")),
        )
        for c in data["cases"]
    ]


def positives(split: str) -> list[Case]:
    return [c for name in POSITIVE_SETS for c in load(name, split)]


def adjacent(split: str) -> list[Case]:
    return [c for name in ADJACENT_SETS for c in load(name, split)]


def every_set(kind: str, split: str) -> list[str]:
    """The names of every set of ``kind`` (``positive`` or ``adjacent``) with a ``split`` part,
    rounds included (``fresh_positive``, ``r9_adjacent``...)."""
    suffix = f"_{split}.yaml"
    return sorted(p.name.removesuffix(suffix) for p in DATA.glob(f"*_{kind}{suffix}"))


# --- mechanical forms ---------------------------------------------------------------------------

_CYRILLIC = str.maketrans("aceopxyiAСEOPXBHKMT", "асеорхуіАСЕОРХВНКМТ")
"""Latin letters and their Cyrillic look-alikes (а е о р с х у і ...)."""


def _longest_word_index(words: list[str]) -> int:
    return max(range(len(words)), key=lambda i: len(words[i])) if words else 0


def _inside_longest(text: str, mark: str) -> str:
    """``mark`` inserted in the middle of the longest word (where it hides the most)."""
    words = text.split(" ")
    i = _longest_word_index(words)
    w = words[i]
    if len(w) >= 2:
        words[i] = w[: len(w) // 2] + mark + w[len(w) // 2 :]
    return " ".join(words)


def _every_word(text: str, mark: str) -> str:
    words = text.split(" ")
    return " ".join(w[: len(w) // 2] + mark + w[len(w) // 2 :] if len(w) > 3 else w for w in words)


def _curly(text: str) -> str:
    out, open_quote = [], True
    for ch in text:
        if ch == "'":
            out.append("\u2019")
        elif ch == '"':
            out.append("\u201c" if open_quote else "\u201d")
            open_quote = not open_quote
        else:
            out.append(ch)
    return "".join(out)


def _spaced(text: str) -> str:
    """The longest word spelled out letter by letter ("k i l l")."""
    words = text.split(" ")
    i = _longest_word_index(words)
    words[i] = " ".join(words[i])
    return " ".join(words)


FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "caps": str.upper,
    "curly": _curly,
    "zero_width": lambda t: _inside_longest(t, "\u200b"),
    "zero_width_all": lambda t: _every_word(t, "\u200b"),
    "soft_hyphen": lambda t: _every_word(t, "\u00ad"),
    "cyrillic": lambda t: t.translate(_CYRILLIC),
    "spaced": _spaced,
}


def variants(case: Case) -> Iterator[tuple[str, str]]:
    """(form name, text) for every mechanical form of the case."""
    for name, form in FORMS.items():
        yield name, form(case.text)
