"""Person-first language: the avoid -> use list in ``content/language.yaml``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.yamlfile import ContentError, line_of, load_yaml

LANGUAGE_FILE = "language.yaml"
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")


@dataclass(frozen=True)
class Term:
    """One stigmatising word or phrase and what to write instead."""

    avoid: str
    use: str
    why: str
    pattern: re.Pattern[str]
    allow: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Hit:
    term: Term
    found: str
    start: int


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s-]+", phrase.strip()) if w]
    # A plural "s" may follow each word; words may be joined by spaces or hyphens.
    body = r"[\s-]+".join(rf"{w}(?:e?s)?" for w in words)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


def load_terms(path: Path) -> list[Term]:
    """Read the list; a broken entry raises ContentError with its line."""
    data = load_yaml(path)
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ContentError(path, line_of(data, 1), "the file must start with 'version: 1'")
    items = data.get("terms")
    if not isinstance(items, list):
        raise ContentError(path, line_of(data, 1), "missing 'terms:' list")
    terms: list[Term] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("avoid"), list):
            raise ContentError(path, line_of(item), "each term needs 'avoid: [...]' and 'use:'")
        use = item.get("use")
        if not isinstance(use, str) or not use.strip():
            raise ContentError(path, line_of(item), "each term needs 'use:' (what to write)")
        allow = tuple(_phrase_pattern(str(a)) for a in item.get("allow") or ())
        for phrase in item["avoid"]:
            terms.append(
                Term(
                    str(phrase), use, str(item.get("why", "")), _phrase_pattern(str(phrase)), allow
                )
            )
    # Longest first, so "drug addict" is reported rather than "addict" inside it.
    terms.sort(key=lambda t: -len(t.avoid))
    return terms


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def find_terms(text: str, terms: list[Term]) -> Iterator[Hit]:
    """Stigmatising terms in ``text``, each place reported once (the longest phrase wins)."""
    quoted = _spans(_QUOTED, text)
    taken: list[tuple[int, int]] = []
    for term in terms:
        allowed = [span for pattern in term.allow for span in _spans(pattern, text)]
        for match in term.pattern.finditer(text):
            start, end = match.span()
            inside = [*quoted, *allowed, *taken]
            if any(a <= start and end <= b for a, b in inside):
                continue
            taken.append((start, end))
            yield Hit(term, match.group(0), start)
