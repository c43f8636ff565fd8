"""Crisis detection: every crisis recognised, ordinary messages left alone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crisis import CrisisDetector

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEV = Path("/work/shared/eval/dev.yaml")
MAX_FALSE_ALARM = 0.03


def _cases(name: str) -> list[Any]:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert data["version"] == 1
    return list(data["cases"])


POSITIVE = _cases("crisis_positive.yaml")
NEGATIVE = _cases("crisis_negative.yaml")


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.load()


def test_sets_are_big_enough() -> None:
    assert len(POSITIVE) >= 150
    assert len(NEGATIVE) >= 150


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c["text"][:40])
def test_crisis_message_gets_crisis_help(detector: CrisisDetector, case: dict[str, str]) -> None:
    signal = detector.detect(case["text"])
    assert signal is not None, f"missed crisis: {case['text']!r}"
    assert signal.kind == case["kind"], f"{case['text']!r}: {signal}"


def _variants(text: str) -> list[str]:
    """How phones and tired thumbs change a message."""
    return [
        text.upper(),
        text.replace("'", "\u2019"),
        text.replace("'", ""),
        "  " + "   ".join(text.split()) + "  ",
        text + " \U0001f62d\U0001f62d",
        text + "!!!",
        "\U0001f494 " + text.capitalize(),
    ]


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c["text"][:40])
def test_crisis_survives_caps_quotes_spaces_emoji(
    detector: CrisisDetector, case: dict[str, str]
) -> None:
    missed = [v for v in _variants(case["text"]) if detector.detect(v) is None]
    assert not missed, f"missed variants: {missed}"


def test_false_alarms_on_ordinary_messages(detector: CrisisDetector) -> None:
    alarms = [(t, s.rule) for t in NEGATIVE if (s := detector.detect(t)) is not None]
    rate = len(alarms) / len(NEGATIVE)
    assert rate <= MAX_FALSE_ALARM, f"false alarm {rate:.1%}: {alarms}"


def test_ordinary_variants_stay_quiet(detector: CrisisDetector) -> None:
    texts = [v for t in NEGATIVE for v in (t.upper(), t.replace("'", "\u2019"), t + " \U0001f602")]
    alarms = [t for t in texts if detector.detect(t) is not None]
    assert len(alarms) / len(texts) <= MAX_FALSE_ALARM, alarms


@pytest.mark.skipif(not DEV.exists(), reason="shared dev set not present")
def test_dev_set_crisis_recall_and_false_alarm(detector: CrisisDetector) -> None:
    cases = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    missed, alarms = [], []
    for case in cases:
        expect = case["expect"]
        acceptable = expect if isinstance(expect, list) else [expect]
        fired = detector.detect(case["text"]) is not None
        if expect == "crisis" and not fired:
            missed.append(case["text"])
        if fired and "crisis" not in acceptable:
            alarms.append(case["text"])
    assert not missed, f"dev crisis cases missed: {missed}"
    assert not alarms, f"dev false alarms: {alarms}"


def test_heldout_questions_rarely_alarm(detector: CrisisDetector) -> None:
    path = DATA / "heldout.yaml"
    if not path.exists():
        pytest.skip("held-out set not present")
    cases = [c for c in yaml.safe_load(path.read_text(encoding="utf-8")) if c["expect"] != "crisis"]
    alarms = [c["text"] for c in cases if detector.detect(c["text"]) is not None]
    assert len(alarms) / len(cases) <= MAX_FALSE_ALARM, alarms


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("me quiero morir", "suicide", "es"),
        ("mi hermano no respira", "overdose", "es"),
        ("mi esposo me pega", "violence", "es"),
        ("i want to die", "suicide", "en"),
    ],
)
def test_signal_names_kind_language_and_rule_not_text(
    detector: CrisisDetector, text: str, kind: str, language: str
) -> None:
    signal = detector.detect(text)
    assert signal is not None
    assert (signal.kind, signal.language) == (kind, language)
    assert signal.rule.startswith(f"{kind}.") and text not in signal.rule
    assert 0 <= signal.score <= 100


def test_emergency_comes_before_suicidal_thoughts(detector: CrisisDetector) -> None:
    signal = detector.detect("i took all my pills because i want to die")
    assert signal is not None and signal.kind == "overdose"


def test_typo_match_scores_lower_than_exact(detector: CrisisDetector) -> None:
    exact = detector.detect("my friend isnt breathing")
    fuzzy = detector.detect("my friend isnt breathng")
    assert exact is not None and fuzzy is not None
    assert fuzzy.score < exact.score


def test_real_words_are_not_read_as_typos(detector: CrisisDetector) -> None:
    assert detector.detect("i feel like im doing better") is None
    assert detector.detect("payday is my trigger") is None


@pytest.mark.parametrize("text", ["", "   ", "\U0001f600", "???", "\x00\x01", "a" * 10_000])
def test_empty_and_odd_input(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_long_input_is_bounded_and_still_checked(detector: CrisisDetector) -> None:
    filler = "i went to my meeting and talked about cravings and sleep " * 200
    start = time.perf_counter()
    assert detector.detect("i want to kill myself. " + filler) is not None
    assert detector.detect(filler) is None
    assert time.perf_counter() - start < 0.5


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_detect_never_raises(text: str) -> None:
    signal = _DETECTOR.detect(text)
    assert signal is None or signal.kind in ("suicide", "overdose", "violence")


_DETECTOR = CrisisDetector.load()
