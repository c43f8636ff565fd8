"""Structure beyond what the loader checks: unknown fields, groups, titles, related intents."""

from __future__ import annotations

from collections.abc import Iterator

from rapidfuzz import process

from bot.lint.context import LintContext, intent_items
from bot.lint.findings import Finding, error, warning
from bot.yamlfile import line_of

FILE_FIELDS = ("version", "group", "title", "intents")
INTENT_FIELDS = (
    "id",
    "title",
    "keywords",
    "related",
    "examples",
    "answer",
    "safety_pointer",
    "crisis_line",
    "crisis_ok",
)
GROUPS = ("brain", "treatment", "recovery", "safety", "bot")
MAX_TITLE = 40
MAX_RELATED = 3


def _did_you_mean(key: str, known: tuple[str, ...]) -> str:
    best = process.extractOne(key, known, score_cutoff=70)
    hint = f"did you mean '{best[0]}'? " if best else ""
    return f"{hint}Known fields: {', '.join(known)}."


def check_fields(ctx: LintContext) -> Iterator[Finding]:
    """Misspelt field names are silently ignored by the bot: catch them here."""
    for path, data in ctx.intent_files.items():
        for key in data:
            if key not in FILE_FIELDS:
                yield error(
                    path,
                    line_of(data[key], data.line),
                    "schema",
                    f"unknown field '{key}' at the top of the file",
                    _did_you_mean(key, FILE_FIELDS),
                )
        group = data.get("group")
        if group not in GROUPS:
            yield error(
                path,
                line_of(group, data.line),
                "schema",
                f"group '{group}' is not one of the topic groups",
                f"use one of: {', '.join(GROUPS)} (the /topics menu has one page per group).",
            )
        for item in intent_items(data):
            for key in item:
                if key not in INTENT_FIELDS:
                    yield error(
                        path,
                        line_of(item[key], item.line),
                        "schema",
                        f"intent '{item.get('id')}': unknown field '{key}'",
                        _did_you_mean(key, INTENT_FIELDS),
                    )


def check_titles_and_related(ctx: LintContext) -> Iterator[Finding]:
    for intent in ctx.catalog.intents.values():
        if len(intent.title) > MAX_TITLE:
            yield error(
                intent.path,
                intent.line,
                "title",
                f"intent '{intent.id}': title is {len(intent.title)} characters "
                f"(a button shows at most {MAX_TITLE})",
                "shorten the title to 40 characters or fewer.",
            )
        if not intent.related:
            yield error(
                intent.path,
                intent.line,
                "related",
                f"intent '{intent.id}' has no related intents",
                "add 'related: [id, id]' with 1-3 topics a reader may want next.",
            )
        if intent.id in intent.related:
            yield error(
                intent.path,
                line_of(intent.related[intent.related.index(intent.id)], intent.line),
                "related",
                f"intent '{intent.id}' lists itself as related",
                "remove its own id from 'related'.",
            )
        if len(set(intent.related)) != len(intent.related):
            yield warning(
                intent.path,
                intent.line,
                "related",
                f"intent '{intent.id}' lists a related intent twice",
                "remove the repeated id from 'related'.",
            )
        if len(intent.related) > MAX_RELATED:
            yield warning(
                intent.path,
                intent.line,
                "related",
                f"intent '{intent.id}' has {len(intent.related)} related intents "
                f"(buttons show {MAX_RELATED} at most)",
                "keep the 3 most useful ones.",
            )


def check_orphans(ctx: LintContext) -> Iterator[Finding]:
    """Answer files no intent uses, and sources no answer cites, are probably mistakes."""
    used = {intent.answer.path.name for intent in ctx.catalog.intents.values()}
    used |= {a.path.name for by in ctx.catalog.variants.values() for a in by.values()}
    for path in sorted((ctx.content_dir / "answers").glob("*.md")):
        if path.name not in used:
            yield warning(
                path,
                1,
                "reference",
                f"answer '{path.stem}' is not used by any intent",
                f"add an intent with 'id: {path.stem}' (or 'answer: {path.stem}'), "
                "or delete the file.",
            )
    cited = {ref for i in ctx.catalog.intents.values() for ref in i.answer.sources}
    sources_file = ctx.content_dir / "sources.yaml"
    for source in ctx.catalog.sources.values():
        if source.id not in cited and source.id != "article":
            yield warning(
                sources_file,
                line_of(source.id),
                "reference",
                f"source '{source.id}' is not cited by any answer",
                "cite it from an answer's 'sources:' or remove it.",
            )


def check_schema(ctx: LintContext) -> Iterator[Finding]:
    yield from check_fields(ctx)
    yield from check_titles_and_related(ctx)
    yield from check_orphans(ctx)
