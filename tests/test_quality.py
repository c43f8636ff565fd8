"""Quality on messages the catalog has never seen, held to SPEC's bar or, where the bar is not
reached yet, to floors at today's level so that no change makes it worse.

- chat-style: tests/data/heldout.yaml and ../shared/eval/dev.yaml meet every SPEC target;
- real questions: ../shared/eval/real_dev.yaml (verbatim, from public pages) and the held-out
  halves of tests/data/real_style/ (written for the project the way people ask on forums) are
  held to floors. SPEC's targets for them (75% answered right, 93% offered) are not reached yet:
  docs/MATCHING.md says why and what was tried.

None of these sets may be copied into the catalog (tests/test_catalog.py).
`recovery-bot eval [--targets real] FILE` shows which messages went wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import REAL_TARGETS, TARGETS, Targets, evaluate, format_report, load_cases
from bot.paths import project_root
from bot.understanding.engine import Engine

DATA = Path(__file__).parent / "data"
SHARED = project_root().parent / "shared" / "eval"


def _report(engine: Engine, path: Path, targets: Targets = TARGETS):  # type: ignore[no-untyped-def]
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return evaluate(engine.decide, load_cases(path, engine.catalog.intents), targets)


@pytest.mark.parametrize(
    "path", [DATA / "heldout.yaml", SHARED / "dev.yaml"], ids=["heldout", "dev"]
)
def test_chat_style_messages_meet_every_target(engine: Engine, path: Path) -> None:
    report = _report(engine, path)
    failed = report.failed_targets()
    assert not failed, f"targets missed: {failed}\n{format_report(report)}"


FLOORS: dict[str, dict[str, tuple[str, float]]] = {
    # Floors sit just under today's measurements (session 4), so any regression fails. Where a
    # floor is looser than REAL_TARGETS, the target is not met yet (see docs/MATCHING.md).
    # measured 63.6% / 88.1% / 3.4% / 0.0% / 78.6% (11 of its 14 off-topic questions). With the
    # fifth to seventh calibration sets, answered right went from 73 to 75 of 118 and answered
    # wrong from 3 to 4; real_dev only measures, so it was not tuned back.
    "real_dev": {
        "answer_correct": (">=", 0.62),
        "answer_or_suggest": (">=", 0.87),
        "wrong_answer": ("<=", 0.035),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.78),
    },
    # measured 79.6% / 95.7% / 2.2% / 0.0% / 91.7%
    "brain_treatment_heldout": {
        "answer_correct": (">=", 0.78),
        "answer_or_suggest": (">=", 0.94),
        "wrong_answer": ("<=", 0.03),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.90),
    },
    # measured 79.0% / 93.8% / 3.7% / 1.9% / 100% (one of the two false alarms: "can you delete
    # everything i've said" read as a crisis by the classifier once the round-5 calm exemplars
    # came in; seen on this held-out set, so not tuned on)
    "recovery_safety_heldout": {
        "answer_correct": (">=", 0.77),
        "answer_or_suggest": (">=", 0.93),
        "wrong_answer": ("<=", 0.04),
        "false_alarm": ("<=", 0.02),
        "oos_fallback": (">=", 0.95),
    },
    # measured 86.6% / 97.0% / 0.7% / 1.2% / 96.7% (the third set: everyday forum wording)
    "everyday_heldout": {
        "answer_correct": (">=", 0.85),
        "answer_or_suggest": (">=", 0.96),
        "wrong_answer": ("<=", 0.015),
        "false_alarm": ("<=", 0.02),
        "oos_fallback": (">=", 0.95),
    },
    # measured 87.3% / 96.7% / 1.3% / 0.0% / 80.8% (the fourth set: FAQ-page wording)
    "faq_heldout": {
        "answer_correct": (">=", 0.86),
        "answer_or_suggest": (">=", 0.95),
        "wrong_answer": ("<=", 0.02),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.78),
    },
    # measured 78.5% / 94.3% / 2.5% / 0.0% / 92.0% (the fifth set: public-page wording, long
    # posts, UK words; before its calibration part was used: 74.7% / 89.2% / 2.5% / 3.8%)
    "pages_heldout": {
        "answer_correct": (">=", 0.77),
        "answer_or_suggest": (">=", 0.93),
        "wrong_answer": ("<=", 0.03),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.90),
    },
    # measured 75.4% / 92.4% / 0.0% / 2.2% / 100% (the sixth set: Q&A sites, non-native English,
    # topics never named outright; before its calibration part was used: 74.6% / 92.4% / 0.0% /
    # 2.9% / 100%)
    "posts_heldout": {
        "answer_correct": (">=", 0.74),
        "answer_or_suggest": (">=", 0.91),
        "wrong_answer": ("<=", 0.01),
        "false_alarm": ("<=", 0.025),
        "oos_fallback": (">=", 0.95),
    },
    # measured 87.1% / 97.8% / 0.0% / 0.0% / 100% (the seventh set: search-box keywords, voice
    # transcripts, mid-conversation follow-ups; before its calibration part was used: 90.3% /
    # 97.8% / 0.0% / 0.0% / 100%)
    "search_heldout": {
        "answer_correct": (">=", 0.85),
        "answer_or_suggest": (">=", 0.96),
        "wrong_answer": ("<=", 0.015),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.90),
    },
}
PATHS = {
    "real_dev": SHARED / "real_dev.yaml",
    "brain_treatment_heldout": DATA / "real_style" / "brain_treatment_heldout.yaml",
    "recovery_safety_heldout": DATA / "real_style" / "recovery_safety_heldout.yaml",
    "everyday_heldout": DATA / "real_style" / "everyday_heldout.yaml",
    "faq_heldout": DATA / "real_style" / "faq_heldout.yaml",
    "pages_heldout": DATA / "real_style" / "pages_heldout.yaml",
    "posts_heldout": DATA / "real_style" / "posts_heldout.yaml",
    "search_heldout": DATA / "real_style" / "search_heldout.yaml",
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_real_questions_stay_above_their_floors(engine: Engine, name: str) -> None:
    report = _report(engine, PATHS[name], REAL_TARGETS)
    low = [
        f"{metric} {report.metrics[metric]:.1%} (floor {op} {floor:.1%})"
        for metric, (op, floor) in FLOORS[name].items()
        if (op == ">=" and report.metrics[metric] < floor)
        or (op == "<=" and report.metrics[metric] > floor)
    ]
    assert not low, f"{name}: {low}\n{format_report(report)}"


def test_targets_match_the_spec() -> None:
    assert TARGETS == {
        "crisis_recall": (">=", 1.0),
        "answer_correct": (">=", 0.90),
        "answer_or_suggest": (">=", 0.97),
        "wrong_answer": ("<=", 0.02),
        "false_alarm": ("<=", 0.01),
        "oos_fallback": (">=", 0.90),
    }
    assert REAL_TARGETS["answer_correct"] == (">=", 0.75)
    assert REAL_TARGETS["answer_or_suggest"] == (">=", 0.93)
    assert REAL_TARGETS["wrong_answer"] == ("<=", 0.03)
