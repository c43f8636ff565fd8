"""The crisis layer's content: intent examples the detector fires on, and the help-line file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.crisis import CrisisDetector, CrisisSignal, LexiconError, ResourcesError
from bot.crisis.resources import CrisisResources
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error, warning
from bot.understanding.text import normalize
from bot.yamlfile import ContentError, line_of, load_yaml

LEXICON_FILE = "crisis_lexicon.yaml"
RESOURCES_FILE = "crisis_resources.yaml"
STALE_DAYS = 365
_LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.*)$", re.DOTALL)


def _from_message(exc: ValueError, default: Path, rule: str, fix: str) -> Finding:
    """A Finding from the crisis layer's "path:line: message" errors."""
    match = _LOCATED.match(str(exc))
    if match is None:
        return error(default, None, rule, str(exc), fix)
    line = int(match["line"]) or None
    message = match["message"]
    return error(Path(match["path"]), line, rule, message, fix)


def load_detector(ctx: LintContext) -> tuple[CrisisDetector | None, list[Finding]]:
    path = ctx.content_dir / LEXICON_FILE
    try:
        return CrisisDetector.load(path), []
    except LexiconError as exc:
        return None, [
            _from_message(
                exc,
                path,
                "crisis-lexicon",
                "fix the pattern; the comment at the top of crisis_lexicon.yaml explains how.",
            )
        ]


def crisis_check(detector: CrisisDetector) -> Callable[[str], CrisisSignal | None]:
    """The bot's whole crisis check (lexicon and classifier, ``bot.crisis.screen``), or the
    lexicon alone when the classifier file cannot be read."""
    from bot.crisis.screen import CrisisScreen
    from bot.crisis.semantic import ClassifierError, CrisisClassifier

    try:
        screen = CrisisScreen(detector, CrisisClassifier())
    except ClassifierError:
        return detector.detect
    return lambda text: screen.check(text).signal


def check_crisis_examples(ctx: LintContext, detector: CrisisDetector) -> Iterator[Finding]:
    """An example the crisis check fires on can never reach its intent: the person gets crisis
    help instead. That is right for some (an overdose happening now) and those are listed in
    the intent's ``crisis_ok:``; anything else is a content mistake or a false alarm of the
    lexicon or the classifier."""
    detect = crisis_check(detector)
    for intent in ctx.catalog.intents.values():
        raw = ctx.raw_intent(intent.id)
        marked_raw = raw.get("crisis_ok") if raw is not None else None
        if marked_raw is not None and not isinstance(marked_raw, list):
            yield error(
                intent.path,
                line_of(marked_raw, intent.line),
                "crisis-example",
                f"intent '{intent.id}': 'crisis_ok' must be a list of examples",
                "write it as 'crisis_ok:' followed by '- example' lines copied from 'examples'.",
            )
            marked_raw = None
        marked = {normalize(str(m)): m for m in marked_raw or ()}
        examples = {normalize(e) for e in intent.examples}
        for norm, item in marked.items():
            if norm not in examples:
                yield error(
                    intent.path,
                    line_of(item, intent.line),
                    "crisis-example",
                    f"intent '{intent.id}': crisis_ok entry {str(item)!r} is not one of its "
                    "examples",
                    "copy the example exactly from 'examples', or delete the entry.",
                )
            elif detect(str(item)) is None:
                yield warning(
                    intent.path,
                    line_of(item, intent.line),
                    "crisis-example",
                    f"intent '{intent.id}': {str(item)!r} is marked crisis_ok but the crisis "
                    "check no longer fires on it",
                    "delete it from 'crisis_ok'.",
                )
        lines = intent.example_lines or (0,) * len(intent.examples)
        for example, line in zip(intent.examples, lines, strict=False):
            signal = detect(example)
            if signal is None or normalize(example) in marked:
                continue
            yield error(
                intent.path,
                line or intent.line,
                "crisis-example",
                f"intent '{intent.id}': the crisis check fires on example {example!r} "
                f"(kind {signal.kind}, rule {signal.rule}), so this intent can never answer it",
                "reword the example so it is not a crisis message; or, if crisis help is the "
                "right reply, list it under 'crisis_ok:' in the intent; or, if the lexicon is "
                "wrong, add a guard in content/crisis_lexicon.yaml.",
            )


def check_resources(ctx: LintContext, today: dt.date | None = None) -> Iterator[Finding]:
    """Every country: an emergency number and a crisis line, each with a source; dates fresh."""
    today = today or dt.date.today()
    path = ctx.content_dir / RESOURCES_FILE
    fix = "see the comment at the top of content/crisis_resources.yaml for the fields."
    try:
        CrisisResources.load(path)
    except ResourcesError as exc:
        yield _from_message(exc, path, "crisis-resources", fix)
        return
    try:
        data = load_yaml(path)
    except ContentError as exc:  # pragma: no cover - the loader above read it already
        yield error(exc.path, exc.line, "crisis-resources", exc.message, fix)
        return
    countries = data.get("countries") if isinstance(data, Mapping) else None
    if not isinstance(countries, Mapping):
        return
    for code, country in countries.items():
        if not isinstance(country, Mapping):
            continue
        yield from _country(path, str(code), country, today)
    fallback = data.get("fallback")
    if isinstance(fallback, Mapping):
        yield from _country(path, "fallback", fallback, today, needs_number=False)


def _lines(country: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "emergency", country.get("emergency")
    for key in ("crisis_lines", "drug_lines"):
        for item in country.get(key) or ():
            yield key, item


def _country(
    path: Path, code: str, country: Mapping[str, Any], today: dt.date, needs_number: bool = True
) -> Iterator[Finding]:
    where = line_of(country)
    emergency = country.get("emergency")
    if needs_number and not (isinstance(emergency, Mapping) and emergency.get("number")):
        yield error(
            path,
            line_of(emergency, where),
            "crisis-resources",
            f"{code}: no emergency number",
            "add 'emergency: {name: Emergency, number: \"...\", ...}' with its source.",
        )
    if not country.get("crisis_lines"):
        yield error(
            path,
            where,
            "crisis-resources",
            f"{code}: no crisis line",
            "add at least one entry under 'crisis_lines:' (a suicide or crisis line).",
        )
    for kind, line in _lines(country):
        if not isinstance(line, Mapping):
            continue
        name = line.get("name", kind)
        at = line_of(line, where)
        source = str(line.get("source") or "").strip()
        if not source:
            yield error(
                path,
                at,
                "crisis-resources",
                f"{code} {name}: no source",
                "add 'source:' naming where the number was checked.",
            )
        elif not source.startswith(("https://", "http://")):
            yield warning(
                path,
                at,
                "crisis-resources",
                f"{code} {name}: source {source!r} is not a web address",
                "check the number on the operator's or the government's own page and put that "
                "page's URL in 'source:'.",
            )
        verified = line.get("verified_on")
        if not isinstance(verified, dt.date):
            yield error(
                path,
                at,
                "crisis-resources",
                f"{code} {name}: no verified_on date",
                "add 'verified_on: YYYY-MM-DD', the day you checked the number at its source.",
            )
        elif verified > today:
            yield error(
                path,
                at,
                "crisis-resources",
                f"{code} {name}: verified_on {verified} is in the future",
                "use the date the number was actually checked.",
            )
        elif (today - verified).days > STALE_DAYS:
            yield warning(
                path,
                at,
                "stale-help-line",
                f"{code} {name}: number last checked {verified}, more than 12 months ago",
                "check the number against its source again and update 'verified_on'.",
            )
