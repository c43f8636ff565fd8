"""Review records and clinical sign-offs.

* ``review: guidance:`` names sources that exist, dated no later than today (errors).
* ``content/signoffs.yaml`` loads, names texts that exist, keeps its signed texts (errors and
  warnings).
* Every answer, and the help lines, carries a clinician's sign-off of its current text, no older
  than 12 months (warnings): one summary line; per-text detail with ``--verbose`` and in JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from bot.crisis.resources import CrisisResources, ResourcesError
from bot.lint.context import LintContext
from bot.lint.findings import Finding, error, warning
from bot.signoff import (
    HELP_LINES,
    SIGNOFFS_FILE,
    coverage,
    load_signoffs,
    signable_texts,
    snapshot_path,
)
from bot.yamlfile import ContentError

RULE = "clinical-signoff"


def _guidance_date(dated: str) -> dt.date:
    """The first day a "YYYY", "YYYY-MM" or "YYYY-MM-DD" date can mean."""
    parts = [int(p) for p in dated.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def check_review_records(ctx: LintContext, today: dt.date | None = None) -> Iterator[Finding]:
    """``guidance:`` entries name sources in content/sources.yaml and are not in the future."""
    today = today or dt.date.today()
    seen: set[str] = set()
    for intent in ctx.catalog.intents.values():
        answer = intent.answer
        if answer.id in seen or answer.review is None:
            continue
        seen.add(answer.id)
        for g in answer.review.guidance:
            if g.source not in ctx.catalog.sources:
                yield error(
                    answer.path,
                    g.line or answer.review.line or None,
                    "review",
                    f"answer '{answer.id}': guidance source '{g.source}' is not in "
                    "content/sources.yaml",
                    "use a source id from content/sources.yaml, or add the guidance there "
                    "(id, name, url).",
                )
            elif _guidance_date(g.dated) > today:
                yield error(
                    answer.path,
                    g.line or None,
                    "review",
                    f"answer '{answer.id}': guidance '{g.source}' is dated {g.dated}, "
                    "in the future",
                    "give the date of the guidance that was checked (YYYY-MM).",
                )


def check_signoffs(
    ctx: LintContext, today: dt.date | None = None
) -> tuple[list[Finding], list[Finding]]:
    """(findings, details): the summary and any problems with the file, then one per text."""
    today = today or dt.date.today()
    path = ctx.content_dir / SIGNOFFS_FILE
    try:
        signoffs = load_signoffs(path)
        resources = CrisisResources.load(ctx.content_dir / "crisis_resources.yaml")
    except ContentError as exc:
        fix = (
            "see the comment at the top of content/signoffs.yaml; record sign-offs with "
            "recovery-bot review --sign."
        )
        return [error(exc.path, exc.line, RULE, exc.message, fix)], []
    except ResourcesError:
        return [], []  # reported by the crisis-resources rule
    texts = signable_texts(ctx.catalog, resources)
    found: list[Finding] = []
    for signoff in signoffs:
        for scope, digest in signoff.signed.items():
            if scope not in texts:
                found.append(
                    warning(
                        path,
                        signoff.line or None,
                        RULE,
                        f"the sign-off by {signoff.reviewer} on {signoff.on} names '{scope}', "
                        "which is not an answer (or help_lines)",
                        "leave it if the answer was removed; otherwise fix the id.",
                    )
                )
            if not snapshot_path(ctx.content_dir, digest).exists():
                found.append(
                    warning(
                        path,
                        signoff.line or None,
                        RULE,
                        f"the text of '{scope}' signed by {signoff.reviewer} on {signoff.on} is "
                        f"not kept (content/signoffs/{digest}.txt)",
                        "commit content/signoffs/ with content/signoffs.yaml; without it the "
                        "review packet cannot show what changed.",
                    )
                )
    status = coverage(texts, signoffs)
    details: list[Finding] = []
    missing = changed = stale = 0
    for scope, cov in status.items():
        if cov.current is not None and not cov.stale(today):
            continue
        if cov.current is not None:
            stale += 1
        elif cov.changed:
            changed += 1
        else:
            missing += 1
        where = _text_path(ctx, scope)
        details.append(
            warning(
                where,
                None,
                RULE,
                f"{scope}: {cov.status(today)}",
                "send the review packet (recovery-bot review) to a clinician and record the "
                "sign-off (recovery-bot review --sign).",
            )
        )
    if details:
        parts = [
            f"{n} {what}"
            for n, what in (
                (missing, "never signed"),
                (changed, "changed since signed"),
                (stale, "signed more than 12 months ago"),
            )
            if n
        ]
        found.append(
            warning(
                path,
                None,
                RULE,
                f"{len(details)} of {len(status)} texts (answers and help lines) lack a "
                f"clinician's current sign-off: {', '.join(parts)}",
                "no deployment goes live before a clinician signs (docs/RELEASE.md): "
                "recovery-bot review --out packet.html, then recovery-bot review --sign. "
                "recovery-bot lint --verbose lists each text.",
            )
        )
    return found, details


def _text_path(ctx: LintContext, scope: str) -> Path:
    if scope == HELP_LINES:
        return ctx.content_dir / "crisis_resources.yaml"
    for intent in ctx.catalog.intents.values():
        if intent.answer.id == scope:
            return intent.answer.path
    return ctx.content_dir / SIGNOFFS_FILE
