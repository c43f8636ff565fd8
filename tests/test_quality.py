"""Quality on messages the catalog has never seen (tests/data/heldout.yaml).

SPEC's bar is answer_correct >= 90% and answer_or_suggest >= 97%; the matcher does not reach it
yet (see the closing note of the foundation issue). FLOORS hold what it reaches today so a change
that makes things worse fails here; the safety measures (wrong answers, false alarms, off-topic
fallbacks) are held at the SPEC's own bar.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluation import TARGETS, evaluate, format_report, load_cases

DATA = Path(__file__).parent / "data"
FLOORS = {
    "answer_correct": (">=", 0.86),
    "answer_or_suggest": (">=", 0.96),
    "wrong_answer": ("<=", 0.02),
    "false_alarm": ("<=", 0.03),
    "oos_fallback": (">=", 0.90),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_heldout_set_meets_the_quality_targets(engine: Engine) -> None:
    cases = load_cases(DATA / "heldout.yaml", engine.catalog.intents)
    intents = {c.expect[0] for c in cases if c.in_scope}
    assert len([c for c in cases if c.is_out_of_scope]) >= 30
    assert all(sum(c.expect[0] == i for c in cases) >= 5 for i in intents)
    report = evaluate(engine.decide, cases)
    failed = [
        name
        for name, (op, bar) in FLOORS.items()
        if (report.metrics[name] < bar if op == ">=" else report.metrics[name] > bar)
    ]
    assert not failed, f"below the floor: {failed}\n{format_report(report)}"


def test_targets_match_the_spec() -> None:
    assert TARGETS["answer_correct"] == (">=", 0.90)
    assert TARGETS["wrong_answer"] == ("<=", 0.02)
    assert TARGETS["oos_fallback"] == (">=", 0.90)
