"""A personal safety plan (Stanley-Brown): the person's own steps for getting through a crisis.

The conversational flow lives in the chat/Telegram layer, which walks through ``STEPS``; this
module holds the data, its storage form and its plain-text rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

MAX_ITEMS = 10
MAX_ITEM_CHARS = 300
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Step:
    """One step of the plan: its storage key, its title and the question the bot asks."""

    key: str
    title: str
    prompt: str


STEPS: tuple[Step, ...] = (
    Step(
        "warning_signs",
        "My warning signs",
        "What tells you a crisis may be starting? Thoughts, feelings, places or times. "
        'For example: "I stop answering texts" or "payday nights".',
    ),
    Step(
        "coping",
        "Things I can do on my own",
        "What can you do by yourself to feel a little better? "
        'For example: "go for a walk", "take a shower", "play music".',
    ),
    Step(
        "distractions",
        "People and places that take my mind off things",
        "Who or where helps you think about something else? "
        'For example: "my cousin Sam", "the coffee shop", "the gym".',
    ),
    Step(
        "helpers",
        "People I can ask for help",
        "Who could you call or text when things get hard? "
        'For example: "my sponsor, 555 0100" or "my sister".',
    ),
    Step(
        "professionals",
        "Professionals and crisis lines",
        "Which counsellor, doctor, clinic or crisis line can you reach? "
        'For example: "my counsellor at the clinic" or "988".',
    ),
    Step(
        "safe_environment",
        "Making my surroundings safer",
        "What can you do to make where you are safer? "
        'For example: "give my extra meds to my partner to keep", "keep naloxone at home".',
    ),
)
STEP_KEYS: tuple[str, ...] = tuple(step.key for step in STEPS)


def clean_items(items: object) -> tuple[str, ...]:
    """Trimmed, non-empty entries, at most MAX_ITEMS of at most MAX_ITEM_CHARS each."""
    if isinstance(items, str):
        items = [part for line in items.splitlines() for part in line.split(";")]
    if not isinstance(items, (list, tuple)):
        return ()
    out = [" ".join(str(item).split())[:MAX_ITEM_CHARS] for item in items]
    return tuple(item for item in out if item)[:MAX_ITEMS]


@dataclass(frozen=True)
class SafetyPlan:
    """The person's plan: one tuple of their own entries per step (empty = skipped)."""

    warning_signs: tuple[str, ...] = ()
    coping: tuple[str, ...] = ()
    distractions: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    professionals: tuple[str, ...] = ()
    safe_environment: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any(getattr(self, key) for key in STEP_KEYS)

    def items(self, key: str) -> tuple[str, ...]:
        if key not in STEP_KEYS:
            raise KeyError(f"unknown safety plan step {key!r}")
        value: tuple[str, ...] = getattr(self, key)
        return value

    def with_step(self, key: str, items: object) -> SafetyPlan:
        """A copy with ``key``'s entries replaced (a string is split on new lines and ';')."""
        if key not in STEP_KEYS:
            raise KeyError(f"unknown safety plan step {key!r}")
        return replace(self, **{key: clean_items(items)})

    def to_dict(self) -> dict[str, Any]:
        """The storage form (JSON-ready)."""
        data: dict[str, Any] = {"version": FORMAT_VERSION}
        data.update({key: list(getattr(self, key)) for key in STEP_KEYS})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SafetyPlan:
        """Rebuild a stored plan; raise ValueError saying what is wrong with malformed data."""
        if not isinstance(data, Mapping):
            raise ValueError(f"safety plan must be a mapping, got {type(data).__name__}")
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValueError(f"safety plan version {version!r} is not supported")
        unknown = sorted(set(data) - set(STEP_KEYS) - {"version"})
        if unknown:
            raise ValueError(f"safety plan has unknown field(s) {unknown}")
        values: dict[str, tuple[str, ...]] = {}
        for key in STEP_KEYS:
            raw = data.get(key, [])
            if not isinstance(raw, (list, tuple)) or not all(isinstance(i, str) for i in raw):
                raise ValueError(f"safety plan step {key!r} must be a list of strings")
            if len(raw) > MAX_ITEMS or any(len(i) > MAX_ITEM_CHARS for i in raw):
                raise ValueError(f"safety plan step {key!r} is longer than allowed")
            values[key] = tuple(raw)
        return cls(**values)


assert tuple(f.name for f in fields(SafetyPlan)) == STEP_KEYS, "STEPS and SafetyPlan disagree"


def render(plan: SafetyPlan) -> str:
    """The plan as plain text, in step order; skipped steps are left out."""
    if plan.is_empty():
        return "Your safety plan is empty. Use /safetyplan to make one."
    blocks: list[str] = []
    for number, step in enumerate(STEPS, 1):
        items = plan.items(step.key)
        if items:
            blocks.append(f"{number}. {step.title}\n" + "\n".join(f"- {item}" for item in items))
    return "\n\n".join(blocks)
