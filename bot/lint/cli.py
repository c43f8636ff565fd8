"""The ``recovery-bot lint`` report: errors first, then warnings, then the coverage table."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import TextIO

from bot.lint import LintReport, run_rules
from bot.lint.coverage import format_table
from bot.lint.findings import Finding
from bot.lint.readability import ReadabilityUnavailable


def _block(title: str, findings: list[Finding], report: LintReport) -> list[str]:
    if not findings:
        return []
    lines = [f"{title} ({len(findings)})"]
    for f in sorted(findings, key=lambda f: (f.relpath(report.root), f.line or 0)):
        lines.append(f"  {f.where(report.root)}: [{f.rule}] {f.message}")
        lines.append(f"      fix: {f.fix}")
    return [*lines, ""]


def format_text(report: LintReport, verbose: bool = False) -> str:
    lines = _block("ERRORS", report.errors, report)
    lines += _block("WARNINGS", report.warnings, report)
    if verbose:
        lines += _block("DETAILS", report.details, report)
    if report.coverage:
        lines += [
            "Article coverage (sections of content/article.md -> intents citing them)",
            format_table(report.coverage),
            "",
        ]
    by_rule = Counter(f.rule for f in report.findings)
    summary = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items()))
    verdict = "FAILED" if report.errors else "OK"
    lines.append(
        f"lint {verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        + (f" [{summary}]" if summary else "")
    )
    return "\n".join(lines)


def format_json(report: LintReport) -> str:
    return json.dumps(
        {
            "ok": not report.errors,
            "errors": [f.to_json(report.root) for f in report.errors],
            "warnings": [f.to_json(report.root) for f in report.warnings],
            "details": [f.to_json(report.root) for f in report.details],
            "coverage": [
                {"anchor": c.anchor, "title": c.title, "intents": list(c.intents)}
                for c in report.coverage
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def run_lint(fmt: str, out: TextIO | None = None, verbose: bool = False) -> int:
    """Run every rule on the project's content; 0 when there are no errors, 1 otherwise."""
    out = out or sys.stdout
    try:
        report = run_rules()
    except ReadabilityUnavailable as exc:
        print(f"recovery-bot lint: {exc}", file=sys.stderr)
        return 2
    text = format_json(report) if fmt == "json" else format_text(report, verbose)
    out.write(text + "\n")
    return 1 if report.errors else 0
