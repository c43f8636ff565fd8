"""The intent ids SPEC.md requires ("Intent ids the catalog must contain"), and example counts."""

from __future__ import annotations

from collections.abc import Iterator

from bot.lint.context import LintContext
from bot.lint.findings import Finding, error

REQUIRED: dict[str, tuple[str, ...]] = {
    "brain": (
        "reward_pathway",
        "tolerance",
        "dependence_vs_addiction",
        "withdrawal",
        "genetics",
        "brain_changes",
        "brain_recovery",
        "brain_development",
        "critical_periods",
        "brain_connectivity",
    ),
    "treatment": (
        "moud_overview",
        "buprenorphine",
        "methadone",
        "naltrexone",
        "moud_myths",
        "behavioral_therapy",
        "cbt",
        "contingency_management",
        "co_occurring",
    ),
    "recovery": (
        "aftercare",
        "relapse_prevention",
        "relapse",
        "cravings",
        "peer_support",
        "family_help",
        "addiction_is_disease",
    ),
    "safety": (
        "overdose_risk",
        "overdose_response",
        "naloxone",
        "dosing_question",
        "find_treatment",
    ),
    "bot": ("greeting", "thanks", "bot_help", "privacy", "checkin_info", "talk_to_human"),
}
MIN_EXAMPLES = 15


def check_required(ctx: LintContext) -> Iterator[Finding]:
    intents = ctx.catalog.intents
    for group, ids in REQUIRED.items():
        for iid in ids:
            if iid not in intents:
                yield error(
                    ctx.intents_dir / f"{group}.yaml",
                    None,
                    "required-intent",
                    f"required intent '{iid}' is missing (SPEC: group '{group}')",
                    f"add an intent with 'id: {iid}' to intents/{group}.yaml and its answer "
                    f"content/answers/{iid}.md.",
                )
    for intent in intents.values():
        if len(intent.examples) < MIN_EXAMPLES:
            yield error(
                intent.path,
                intent.line,
                "examples",
                f"intent '{intent.id}' has {len(intent.examples)} examples; "
                f"at least {MIN_EXAMPLES} are needed",
                f"add {MIN_EXAMPLES - len(intent.examples)} more ways people really ask this "
                "(typos, slang, a family member's wording).",
            )
