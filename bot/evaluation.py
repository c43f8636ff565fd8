"""Evaluation files (SPEC "Evaluation file") and the metrics the bot is held to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.decision import Decision
from bot.yamlfile import ContentError, line_of, load_yaml

CRISIS = "crisis"
OUT_OF_SCOPE = "out_of_scope"

Targets = dict[str, tuple[str, float]]
TARGETS: Targets = {
    "crisis_recall": (">=", 1.0),
    "answer_correct": (">=", 0.90),
    "answer_or_suggest": (">=", 0.97),
    "wrong_answer": ("<=", 0.02),
    "false_alarm": ("<=", 0.01),
    "oos_fallback": (">=", 0.90),
}
"""SPEC "Quality targets" for chat-style messages (eval/dev.yaml)."""
REAL_TARGETS: Targets = {
    **TARGETS,
    "answer_correct": (">=", 0.75),
    "answer_or_suggest": (">=", 0.93),
    "wrong_answer": ("<=", 0.03),
}
"""SPEC "Quality targets" for real questions (eval/real_dev.yaml): longer, messier."""
TARGET_SETS: dict[str, Targets] = {"chat": TARGETS, "real": REAL_TARGETS}


@dataclass(frozen=True)
class Case:
    text: str
    expect: tuple[str, ...]
    line: int | None = None

    @property
    def is_crisis(self) -> bool:
        return self.expect == (CRISIS,)

    @property
    def is_out_of_scope(self) -> bool:
        return self.expect == (OUT_OF_SCOPE,)

    @property
    def in_scope(self) -> bool:
        return not self.is_crisis and not self.is_out_of_scope


def load_cases(path: Path | str, known_intents: Iterable[str] | None = None) -> list[Case]:
    """Read an evaluation file; unknown ids and malformed cases name the file and line."""
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, list):
        raise ContentError(path, line_of(data, 1), "an evaluation file is a list of {text, expect}")
    known = set(known_intents) | {CRISIS, OUT_OF_SCOPE} if known_intents is not None else None
    cases: list[Case] = []
    for item in data:
        line = line_of(item)
        if not isinstance(item, dict) or "text" not in item or "expect" not in item:
            raise ContentError(path, line, "each case needs 'text' and 'expect'")
        text, expect = item["text"], item["expect"]
        if not isinstance(text, str):
            raise ContentError(
                path, line, "'text' must be text (quote it if it looks like a number)"
            )
        expected = tuple(expect) if isinstance(expect, list) else (expect,)
        if not expected or not all(isinstance(e, str) for e in expected):
            raise ContentError(path, line, "'expect' must be an intent id or a list of them")
        if known is not None:
            unknown = [e for e in expected if e not in known]
            if unknown:
                raise ContentError(path, line, f"unknown expected id(s): {', '.join(unknown)}")
        cases.append(Case(text=text, expect=expected, line=line))
    return cases


@dataclass
class Outcome:
    case: Case
    decision: Decision

    @property
    def correct(self) -> bool:
        d, ok = self.decision, self.case.expect
        if self.case.is_out_of_scope:
            return d.kind == "fallback"
        if d.kind == "crisis":
            return CRISIS in ok
        return d.kind == "answer" and d.intent in ok


@dataclass
class Report:
    metrics: dict[str, float]
    counts: dict[str, int]
    outcomes: list[Outcome]
    per_intent: dict[str, tuple[int, int]] = field(default_factory=dict)
    """intent -> (answered correctly, cases)."""
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    """(expected intent, answered intent, how often), most frequent first."""
    targets: Targets = field(default_factory=lambda: TARGETS)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    def failed_targets(self) -> list[str]:
        failed = []
        for name, (op, target) in self.targets.items():
            if name not in self.metrics:
                continue
            value = self.metrics[name]
            if (op == ">=" and value < target) or (op == "<=" and value > target):
                failed.append(name)
        return failed

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": {k: round(v, 4) for k, v in self.metrics.items()},
            "counts": self.counts,
            "targets": {k: f"{op} {v}" for k, (op, v) in self.targets.items()},
            "failed_targets": self.failed_targets(),
            "per_intent": {
                k: {"correct": c, "cases": n, "accuracy": round(c / n, 4) if n else None}
                for k, (c, n) in sorted(self.per_intent.items())
            },
            "confusions": [
                {"expected": e, "answered": a, "count": n} for e, a, n in self.confusions
            ],
            "misses": [
                {
                    "line": o.case.line,
                    "text": o.case.text,
                    "expect": list(o.case.expect),
                    "kind": o.decision.kind,
                    "intent": o.decision.intent,
                    "score": round(o.decision.score, 1),
                    "suggestions": list(o.decision.suggestions),
                }
                for o in self.misses
            ],
        }


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def evaluate(
    decide: Callable[[str], Decision], cases: Iterable[Case], targets: Targets = TARGETS
) -> Report:
    """Run every case through ``decide`` and compute the SPEC metrics."""
    outcomes = [Outcome(case, decide(case.text)) for case in cases]
    in_scope = [o for o in outcomes if o.case.in_scope]
    crisis = [o for o in outcomes if o.case.is_crisis]
    oos = [o for o in outcomes if o.case.is_out_of_scope]
    not_crisis = [o for o in outcomes if CRISIS not in o.case.expect]

    def answered_ok(o: Outcome) -> bool:
        return o.correct

    def offered(o: Outcome) -> bool:
        return o.correct or any(s in o.case.expect for s in o.decision.suggestions)

    def wrong(o: Outcome) -> bool:
        return o.decision.kind == "answer" and o.decision.intent not in o.case.expect

    metrics = {
        "crisis_recall": _rate(sum(o.decision.kind == "crisis" for o in crisis), len(crisis)),
        "answer_correct": _rate(sum(map(answered_ok, in_scope)), len(in_scope)),
        "answer_or_suggest": _rate(sum(map(offered, in_scope)), len(in_scope)),
        "wrong_answer": _rate(sum(map(wrong, in_scope)), len(in_scope)) if in_scope else 0.0,
        "false_alarm": (
            _rate(sum(o.decision.kind == "crisis" for o in not_crisis), len(not_crisis))
            if not_crisis
            else 0.0
        ),
        "oos_fallback": _rate(sum(o.decision.kind == "fallback" for o in oos), len(oos)),
        "oos_answered": (
            _rate(sum(o.decision.kind == "answer" for o in oos), len(oos)) if oos else 0.0
        ),
    }
    per_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion: Counter[tuple[str, str]] = Counter()
    for o in in_scope:
        primary = o.case.expect[0]
        per_intent[primary][1] += 1
        if o.correct:
            per_intent[primary][0] += 1
        elif o.decision.kind == "answer" and o.decision.intent:
            confusion[(primary, o.decision.intent)] += 1
    for o in oos:
        if o.decision.kind == "answer" and o.decision.intent:
            confusion[(OUT_OF_SCOPE, o.decision.intent)] += 1
    counts = {
        "cases": len(outcomes),
        "in_scope": len(in_scope),
        "crisis": len(crisis),
        "out_of_scope": len(oos),
    }
    return Report(
        metrics=metrics,
        counts=counts,
        outcomes=outcomes,
        per_intent={k: (v[0], v[1]) for k, v in per_intent.items()},
        confusions=[(e, a, n) for (e, a), n in confusion.most_common()],
        targets=targets,
    )


def format_report(report: Report, *, show_misses: bool = True) -> str:
    """The human-readable report: metrics against targets, weak intents, confusions, misses."""
    lines = [
        f"cases: {report.counts['cases']} ({report.counts['in_scope']} in scope, "
        f"{report.counts['crisis']} crisis, {report.counts['out_of_scope']} out of scope)"
    ]
    lines.append("")
    lines.append(f"{'metric':<20}{'value':>8}  target")
    for name, value in report.metrics.items():
        target = report.targets.get(name)
        mark = ""
        if target:
            op, goal = target
            ok = value >= goal if op == ">=" else value <= goal
            mark = f"{op} {goal:.0%}  {'ok' if ok else 'MISSED'}"
        lines.append(f"{name:<20}{value:>8.1%}  {mark}")
    weak = sorted(
        ((k, c, n) for k, (c, n) in report.per_intent.items() if c < n),
        key=lambda x: x[1] / x[2],
    )
    if weak:
        lines += ["", "intents below 100% (correct/cases):"]
        lines += [f"  {k:<26}{c}/{n}" for k, c, n in weak]
    if report.confusions:
        lines += ["", "confusions (expected -> answered, count):"]
        lines += [f"  {e} -> {a}: {n}" for e, a, n in report.confusions]
    if show_misses and report.misses:
        lines += ["", "misses (line: text | expected | got):"]
        for o in report.misses:
            d = o.decision
            got = d.kind if d.kind in ("crisis", "fallback") else f"{d.kind} {d.intent or ''}"
            if d.suggestions:
                got += f" [{', '.join(d.suggestions)}]"
            lines.append(
                f"  {o.case.line or '?'}: {o.case.text!r} | {'/'.join(o.case.expect)} | "
                f"{got.strip()} ({d.score:.0f})"
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class TypoAgreement:
    """How often a message's typo'd twin (``bot.typos``) gets the same reply as the message."""

    cases: int
    same: int
    """Twins that got the same kind of reply, and the same topic when it was an answer."""
    answered: int
    answered_same: int
    """Of the answered messages, twins answered with the same topic."""

    @property
    def rate(self) -> float:
        return _rate(self.same, self.cases)

    @property
    def answered_rate(self) -> float:
        return _rate(self.answered_same, self.answered)


def typo_agreement(decide: Callable[[str], Decision], outcomes: Iterable[Outcome]) -> TypoAgreement:
    """Answer the typo'd twin of each evaluated case (``evaluate``'s outcomes, so the messages
    themselves are not decided again); count where the two replies agree."""
    from bot.typos import typo_twin

    n = same = answered = answered_same = 0
    for outcome in outcomes:
        a, b = outcome.decision, decide(typo_twin(outcome.case.text))
        n += 1
        same += (a.kind, a.intent) == (b.kind, b.intent)
        if a.kind == "answer":
            answered += 1
            answered_same += b.kind == "answer" and b.intent == a.intent
    return TypoAgreement(n, same, answered, answered_same)
