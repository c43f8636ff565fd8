"""Every section of the article (``content/article.md`` anchors) is covered by an intent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.catalog import ARTICLE_PREFIX
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error


@dataclass(frozen=True)
class SectionCoverage:
    anchor: str
    title: str
    intents: tuple[str, ...]


def coverage(ctx: LintContext) -> list[SectionCoverage]:
    """Article sections in order, each with the intents whose answers cite it."""
    cited: dict[str, list[str]] = {anchor: [] for anchor in ctx.catalog.article_sections}
    for intent in ctx.catalog.intents.values():
        for ref in intent.answer.sources:
            if ref.startswith(ARTICLE_PREFIX):
                cited.setdefault(ref[len(ARTICLE_PREFIX) :], []).append(intent.id)
    return [
        SectionCoverage(anchor, title, tuple(cited.get(anchor, ())))
        for anchor, title in ctx.catalog.article_sections.items()
    ]


def check_coverage(ctx: LintContext, table: list[SectionCoverage]) -> Iterator[Finding]:
    article = ctx.content_dir / "article.md"
    lines = article.read_text(encoding="utf-8").splitlines() if article.exists() else []
    for row in table:
        if row.intents:
            continue
        line = next((n for n, t in enumerate(lines, 1) if f"{{#{row.anchor}}}" in t), None)
        yield error(
            article,
            line,
            "article-coverage",
            f"article section '{row.title}' (#{row.anchor}) is not covered by any intent",
            f"cite 'article#{row.anchor}' in the sources of the answer that covers it, or add "
            "an intent for it.",
        )


def format_table(table: list[SectionCoverage]) -> str:
    width = max((len(r.anchor) for r in table), default=10) + 1
    rows = [f"{'section':<{width}} intents", f"{'-' * width} {'-' * 7}"]
    for row in table:
        rows.append(f"#{row.anchor:<{width - 1}} {', '.join(row.intents) or 'NOT COVERED'}")
    return "\n".join(rows)
