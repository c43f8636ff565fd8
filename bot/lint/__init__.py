"""``recovery-bot lint``: the content rules of SPEC.md, reported with file, line and fix.

Each topic has its own module; ``run_rules`` runs them all on one content tree. A structural
problem that stops the catalog from loading is reported alone: the other rules need a catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.lint.coverage import SectionCoverage, check_coverage, coverage
from bot.lint.findings import ERROR, WARNING, Finding, error
from bot.paths import project_root
from bot.yamlfile import ContentError

__all__ = ["Finding", "LintReport", "run_rules"]


@dataclass
class LintReport:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    coverage: list[SectionCoverage] = field(default_factory=list)
    details: list[Finding] = field(default_factory=list)
    """Per-item warnings behind a summary finding (clinical sign-offs): shown with --verbose
    and in JSON, so the default output stays readable."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


def run_rules(root: Path | None = None, today: dt.date | None = None) -> LintReport:
    """Check the content tree under ``root`` (default: the project folder)."""
    # Imported here: the rules pull in rapidfuzz tables and the syllable dictionaries.
    from bot.lint.answers import check_answers
    from bot.lint.confusable import check_confusable
    from bot.lint.context import load_context
    from bot.lint.crisis import check_crisis_examples, check_resources, load_detector
    from bot.lint.examples import check_examples, check_out_of_scope
    from bot.lint.required import check_required
    from bot.lint.schema import check_schema
    from bot.lint.signoffs import check_review_records, check_signoffs

    root = root or project_root()
    report = LintReport(root)
    try:
        ctx = load_context(root)
    except ContentError as exc:
        report.findings.append(
            error(
                exc.path,
                exc.line,
                "catalog",
                exc.message,
                "fix this first; the other checks run once the catalog loads.",
            )
        )
        return report
    found = report.findings
    found += check_schema(ctx)
    found += check_required(ctx)
    found += check_examples(ctx)
    found += check_out_of_scope(ctx)
    found += check_answers(ctx, today)
    found += check_review_records(ctx, today)
    signoff_findings, report.details = check_signoffs(ctx, today)
    found += signoff_findings
    report.coverage = coverage(ctx)
    found += check_coverage(ctx, report.coverage)
    resources_findings = list(check_resources(ctx, today))
    found += resources_findings
    detector, problems = load_detector(ctx)
    found += problems
    if detector is not None:
        found += check_crisis_examples(ctx, detector)
        if not any(f.severity == ERROR for f in resources_findings):
            from bot.crisis.resources import CrisisResources

            resources = CrisisResources.load(ctx.content_dir / "crisis_resources.yaml")
            found += check_confusable(ctx, detector, resources)
    return report
