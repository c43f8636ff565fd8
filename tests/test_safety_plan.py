"""The safety plan: Stanley-Brown steps, storage round trip, clear errors, plain rendering."""

from __future__ import annotations

from typing import Any

import pytest

from bot.safety_plan import MAX_ITEMS, STEPS, SafetyPlan, render


def test_steps_follow_stanley_brown_order() -> None:
    assert [s.key for s in STEPS] == [
        "warning_signs",
        "coping",
        "distractions",
        "helpers",
        "professionals",
        "safe_environment",
    ]
    for step in STEPS:
        assert step.title and "For example" in step.prompt


def test_round_trip_and_render() -> None:
    plan = (
        SafetyPlan()
        .with_step("warning_signs", "I stop answering texts\npayday nights")
        .with_step("helpers", ["my sponsor Ana", "  ", "my sister"])
    )
    assert plan.warning_signs == ("I stop answering texts", "payday nights")
    assert plan.helpers == ("my sponsor Ana", "my sister")
    assert SafetyPlan.from_dict(plan.to_dict()) == plan
    text = render(plan)
    assert text.startswith("1. My warning signs\n- I stop answering texts")
    assert "4. People I can ask for help" in text
    assert "2. Things I can do" not in text  # skipped steps are left out


def test_edit_and_delete_a_step() -> None:
    plan = SafetyPlan().with_step("coping", "walk; shower")
    assert plan.coping == ("walk", "shower")
    assert plan.with_step("coping", []).is_empty()


def test_empty_plan_render_says_how_to_start() -> None:
    assert SafetyPlan().is_empty()
    assert "/safetyplan" in render(SafetyPlan())


def test_entries_are_capped() -> None:
    plan = SafetyPlan().with_step("coping", [f"item {i}" for i in range(50)])
    assert len(plan.coping) == MAX_ITEMS


def test_unknown_step_is_rejected() -> None:
    with pytest.raises(KeyError):
        SafetyPlan().with_step("weapons", "x")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "mapping"),
        ({"version": 9}, "version"),
        ({"coping": "walk"}, "list of strings"),
        ({"coping": [1, 2]}, "list of strings"),
        ({"favourite_colour": ["blue"]}, "unknown"),
        ({"coping": ["x"] * 50}, "longer"),
    ],
)
def test_from_dict_rejects_malformed_data(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SafetyPlan.from_dict(data)
