"""Answer rules (SPEC "Content rules"): length, reading grade, person-first words, no doses,
sources and a review record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from bot.catalog import Answer
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error, warning
from bot.lint.language import LANGUAGE_FILE, Term, find_terms, load_terms
from bot.lint.readability import flesch_kincaid_grade, prose, word_count
from bot.yamlfile import ContentError, line_of

MAX_WORDS = 120
MAX_GRADE = 8.0

_NUMBER = r"\d+(?:[.,/]\d+)?(?:\s*(?:-|to|or)\s*\d+(?:[.,]\d+)?)?"
_UNIT = (
    r"mg|milligrams?|mgs|ml|mls|milliliters?|millilitres?|mcg|µg|micrograms?|ug|cc|iu|units?"
    r"|grams?|g"
)
_DOSE_FORMS = r"pills?|tablets?|tabs?|caps?|capsules?|doses?|strips?|films?|patch(?:es)?|sprays?"
DOSE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b{_NUMBER}\s*(?:{_UNIT})\b", re.IGNORECASE), "a dose amount"),
    (
        re.compile(r"\b(?:mg|mcg|ml|milligrams?|micrograms?|milliliters?)\b", re.IGNORECASE),
        "a dose unit",
    ),
    (
        re.compile(
            rf"\b(?:{_NUMBER}|one|two|three|four|five|six|half|a)\s+(?:{_DOSE_FORMS})\s+"
            r"(?:a|per|each|every)\s+(?:day|night|hour|week|morning|evening)",
            re.IGNORECASE,
        ),
        "a dosing schedule",
    ),
    (re.compile(rf"\bevery\s+{_NUMBER}\s+(?:hours?|hrs?)\b", re.IGNORECASE), "a dosing interval"),
    (
        re.compile(
            rf"\b(?:take|taking|use|using)\s+(?:{_NUMBER}|one|two|three|four|half)\s+(?:{_DOSE_FORMS})\b",
            re.IGNORECASE,
        ),
        "an amount to take",
    ),
)


def _meta_line(answer: Answer, key: str) -> int:
    """The line of a front-matter field (``review:``), or 1 when it is missing."""
    lines = answer.path.read_text(encoding="utf-8").splitlines()[: answer.body_line]
    return next((n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:")), 1)


def _line_at(answer: Answer, offset: int) -> int:
    """The file line of character ``offset`` of the answer body."""
    return answer.body_line + answer.text.count("\n", 0, offset)


def _language_terms(ctx: LintContext) -> tuple[list[Term], list[Finding]]:
    path = ctx.content_dir / LANGUAGE_FILE
    if not path.exists():
        return [], [
            error(
                path,
                None,
                "language",
                "the person-first language list is missing",
                "restore content/language.yaml (avoid -> use, from NIDA 'Words Matter').",
            )
        ]
    try:
        return load_terms(path), []
    except ContentError as exc:
        return [], [
            error(
                exc.path,
                exc.line,
                "language",
                exc.message,
                "fix the entry; see the comment at the top of the file.",
            )
        ]


def check_answers(ctx: LintContext, today: dt.date | None = None) -> Iterator[Finding]:
    today = today or dt.date.today()
    terms, problems = _language_terms(ctx)
    yield from problems
    seen: set[str] = set()
    for intent in ctx.catalog.intents.values():
        answer = intent.answer
        if answer.id in seen:
            continue  # several intents may share one answer; report it once
        seen.add(answer.id)
        for checked in (answer, *ctx.catalog.variants.get(answer.id, {}).values()):
            yield from _length_and_grade(checked)
            yield from _words(checked, terms)
            yield from _doses(checked)
            yield from _sources_and_review(checked, today)
    for intent in ctx.catalog.intents.values():
        for hit in find_terms(intent.title, terms):
            yield error(
                intent.path,
                line_of(intent.title, intent.line),
                "language",
                f"intent '{intent.id}': title uses '{hit.found}'",
                f'say "{hit.term.use}" instead ({hit.term.why}).',
            )


def _length_and_grade(answer: Answer) -> Iterator[Finding]:
    words = word_count(answer.text)
    if words > MAX_WORDS:
        yield error(
            answer.path,
            answer.body_line,
            "answer-length",
            f"answer '{answer.id}' has {words} words; the limit is {MAX_WORDS} "
            "(it must fit a phone screen)",
            f"cut {words - MAX_WORDS} words: keep the main point and the next step.",
        )
    grade = flesch_kincaid_grade(prose(answer.text))
    if grade > MAX_GRADE:
        yield error(
            answer.path,
            answer.body_line,
            "reading-grade",
            f"answer '{answer.id}' reads at grade {grade:.1f} (Flesch-Kincaid); "
            f"the limit is {MAX_GRADE:.0f}",
            "use shorter sentences (under 15 words) and everyday words "
            '("use" not "utilize", "medicine" not "pharmacotherapy").',
        )


def _words(answer: Answer, terms: list[Term]) -> Iterator[Finding]:
    for hit in find_terms(answer.text, terms):
        yield error(
            answer.path,
            _line_at(answer, hit.start),
            "language",
            f"answer '{answer.id}' uses '{hit.found}'",
            f'say "{hit.term.use}" instead ({hit.term.why}). To quote or explain the word, '
            'put it in "double quotes".',
        )


def _doses(answer: Answer) -> Iterator[Finding]:
    reported: set[int] = set()
    for pattern, what in DOSE_PATTERNS:
        for match in pattern.finditer(answer.text):
            line = _line_at(answer, match.start())
            if line in reported:
                continue
            reported.add(line)
            yield error(
                answer.path,
                line,
                "dose",
                f"answer '{answer.id}' gives {what}: '{match.group(0)}'",
                "remove it: the bot never gives doses. Say who can advise (a prescriber, "
                "pharmacist or clinic) instead.",
            )


def _sources_and_review(answer: Answer, today: dt.date) -> Iterator[Finding]:
    if not answer.sources:
        yield error(
            answer.path,
            _meta_line(answer, "sources"),
            "sources",
            f"answer '{answer.id}' cites no source",
            "add 'sources:' with an article section (article#anchor) or an id from "
            "content/sources.yaml.",
        )
    review = answer.review
    line = _meta_line(answer, "review")
    if review is None:
        yield error(
            answer.path,
            line,
            "review",
            f"answer '{answer.id}' has no review record",
            "add 'review:' with 'by:' (who checked it against its sources), 'on:' (YYYY-MM-DD) "
            "and 'checked:' (what was checked).",
        )
        return
    if not review.by.strip():
        yield error(
            answer.path,
            line,
            "review",
            f"answer '{answer.id}': 'review: by:' is empty",
            "name who reviewed the answer against its sources.",
        )
    if review.on > today:
        yield error(
            answer.path,
            line,
            "review",
            f"answer '{answer.id}': review date {review.on} is in the future",
            "use the date the review was actually done (YYYY-MM-DD).",
        )
    if not review.checked.strip():
        yield warning(
            answer.path,
            line,
            "review",
            f"answer '{answer.id}': the review does not say what was checked",
            "add 'checked:' (for example: every statement against the article section).",
        )
