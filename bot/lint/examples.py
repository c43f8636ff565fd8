"""Example phrasings: duplicates and near-copies, in intents and in the out-of-scope list.

Examples are compared as the matcher sees them (``bot.understanding.text.normalize``:
case, punctuation, stretched letters), so "hiii" and "hii" are the same example. Near-copies
are found with rapidfuzz's token_sort_ratio (word order ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from bot.catalog import OUT_OF_SCOPE_FILE
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error, warning
from bot.understanding.text import normalize
from bot.yamlfile import line_of, load_yaml

NEAR_ERROR = 95.0
"""Practically the same sentence (one letter or the word order changed): an error."""
NEAR_WARNING = 88.0
"""Close enough that it probably adds nothing: a warning."""


@dataclass(frozen=True)
class Example:
    intent: str
    text: str
    norm: str
    path: Path
    line: int | None


def _examples(ctx: LintContext) -> list[Example]:
    out: list[Example] = []
    for intent in ctx.catalog.intents.values():
        lines = intent.example_lines or (0,) * len(intent.examples)
        for text, line in zip(intent.examples, lines, strict=False):
            out.append(Example(intent.id, text, normalize(text), intent.path, line or None))
    return out


def _where(ex: Example) -> str:
    return f"{ex.path.name}:{ex.line}" if ex.line else ex.path.name


def _near_pairs(norms: list[str], rows: int = 512) -> Iterator[tuple[int, int, float]]:
    """(a, b, score) for every pair a < b at least ``NEAR_WARNING`` alike; for each a, the most
    alike first. One C++ pass per block of rows (rapidfuzz's ``cdist``), not one call a pair."""
    for start in range(0, len(norms), rows):
        scores = process.cdist(
            norms[start : start + rows],
            norms,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=NEAR_WARNING,
            dtype=np.float32,
        )
        for offset, row in enumerate(scores):
            a = start + offset
            hits = [(float(row[b]), int(b)) for b in np.flatnonzero(row) if b > a]
            for score, b in sorted(hits, key=lambda hit: (-hit[0], hit[1])):
                yield a, b, score


def check_examples(ctx: LintContext) -> Iterator[Finding]:
    examples = _examples(ctx)
    norms = [e.norm for e in examples]
    first: dict[str, Example] = {}
    for ex in examples:
        if not ex.norm:
            yield error(
                ex.path,
                ex.line,
                "examples",
                f"intent '{ex.intent}': example {ex.text!r} has no words the bot can read",
                "write the example with letters (emoji and punctuation alone are ignored).",
            )
            continue
        seen = first.get(ex.norm)
        if seen is None:
            first[ex.norm] = ex
            continue
        if seen.intent == ex.intent:
            yield error(
                ex.path,
                ex.line,
                "duplicate-example",
                f"intent '{ex.intent}': example {ex.text!r} is the same as {seen.text!r} "
                f"({_where(seen)}) once case, punctuation and stretched letters are ignored",
                "delete it, or replace it with a different way of asking.",
            )
        else:
            yield error(
                ex.path,
                ex.line,
                "duplicate-example",
                f"example {ex.text!r} is in two intents: '{ex.intent}' and '{seen.intent}' "
                f"({_where(seen)})",
                "keep it in the one intent whose answer fits it, delete the other.",
            )
    for a, b, score in _near_pairs(norms):
        ex, other = examples[a], examples[b]
        if not ex.norm or first.get(ex.norm) is not ex or other.norm == ex.norm:
            continue
        same = other.intent == ex.intent
        where = "" if same else f" of intent '{ex.intent}'"
        message = (
            f"intent '{other.intent}': example {other.text!r} is a near-copy "
            f"({score:.0f}% alike) of {ex.text!r}{where} ({_where(ex)})"
        )
        if same:
            finding = error if score >= NEAR_ERROR else warning
            yield finding(
                other.path,
                other.line,
                "near-duplicate-example",
                message,
                "replace it with a really different phrasing (other words, another "
                "person's voice, a family member asking).",
            )
        else:
            yield warning(
                other.path,
                other.line,
                "near-duplicate-example",
                message,
                "two topics share almost the same example: keep it only in the intent "
                "whose answer fits.",
            )


def check_out_of_scope(ctx: LintContext) -> Iterator[Finding]:
    path = ctx.intents_dir / OUT_OF_SCOPE_FILE
    if not path.exists():
        return
    data = load_yaml(path)
    items = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return  # the catalog loader has already reported this
    intent_examples = [e for e in _examples(ctx) if e.norm]
    by_norm = {e.norm: e for e in intent_examples}
    intent_norms = [e.norm for e in intent_examples]
    seen: dict[str, tuple[str, int | None]] = {}
    for item in items:
        text, line = str(item), line_of(item)
        norm = normalize(text)
        if norm in seen:
            first_text, first_line = seen[norm]
            yield warning(
                path,
                line,
                "out-of-scope",
                f"out-of-scope example {text!r} repeats {first_text!r} (line {first_line})",
                "delete one of them.",
            )
            continue
        seen[norm] = (text, line)
        same = by_norm.get(norm)
        if same is not None:
            yield error(
                path,
                line,
                "out-of-scope",
                f"out-of-scope example {text!r} is also an example of intent "
                f"'{same.intent}' ({_where(same)}): the bot cannot both answer and decline it",
                "delete it from one of the two files.",
            )
            continue
        hit = process.extractOne(
            norm, intent_norms, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR_WARNING
        )
        if hit is not None:
            near = intent_examples[hit[2]]
            yield warning(
                path,
                line,
                "out-of-scope",
                f"out-of-scope example {text!r} is {hit[1]:.0f}% alike intent "
                f"'{near.intent}' example {near.text!r} ({_where(near)})",
                "make sure it really is off-topic; if it is, reword one of them so they differ.",
            )
