"""The confidence models: what moves them, and that the calibration tool really fits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from bot.understanding.confidence import CORRECT_WEIGHTS, FEATURES, IN_SCOPE_WEIGHTS, confidence
from bot.understanding.lexical import Match


def _load_tool() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "tools" / "calibrate.py"
    spec = importlib.util.spec_from_file_location("calibrate", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module
    spec.loader.exec_module(module)
    return module


def test_weights_match_the_features() -> None:
    assert len(CORRECT_WEIGHTS) == len(FEATURES) == len(IN_SCOPE_WEIGHTS)


def test_a_clear_lead_is_surer_than_a_tie() -> None:
    lead = [Match("a", 90, 0.9, 0.8), Match("b", 30, 0.3, 0.2)]
    tie = [Match("a", 90, 0.9, 0.8), Match("b", 88, 0.8, 0.9)]
    assert confidence(lead, 3).correct > confidence(tie, 3).correct


def test_unknown_words_lower_the_chance_the_message_is_on_topic() -> None:
    known = [Match("a", 60, 0.6, 0.5, known=1.0)]
    unknown = [Match("a", 60, 0.6, 0.5, known=0.3)]
    assert confidence(known, 3).in_scope > confidence(unknown, 3).in_scope


def test_nothing_ranked_means_no_confidence() -> None:
    sure = confidence([], 0)
    assert sure.in_scope == 0.0 and sure.correct == 0.0


def test_the_calibration_fit_learns_a_separable_rule() -> None:
    tool = _load_tool()
    xs = [(1.0, x / 10) for x in range(-10, 11)]
    ys = [x[1] > 0 for x in xs]
    weights = tool.fit(xs, ys, [1.0] * len(xs), epochs=300)
    assert weights[1] > 0
    for x, y in zip(xs, ys, strict=True):
        if abs(x[1]) >= 0.5:
            assert (weights[0] + weights[1] * x[1] > 0) == y
