"""The decision contract shared by the CLI, the terminal chat and the Telegram adapter."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["crisis", "answer", "suggest", "fallback"]
Role = Literal["recovery", "family", "supporter"]
ChatType = Literal["private", "group"]


@dataclass(frozen=True)
class Context:
    """What the bot knows about the person when it decides (never the text they wrote before)."""

    country: str | None = None
    role: Role | None = None
    chat_type: ChatType = "private"
    safety_plan_text: str | None = None
    """The person's own safety plan, already rendered; shown after a crisis reply (private only)."""
    audience: Role | None = None
    """Who the answer is for when the message says so ("my son..."): wins over ``role``."""
    sources_limit: int | None = None
    """Cut a source line longer than this many characters ("and N more (/sources)"); only a
    transport that offers /sources sets it."""


@dataclass(frozen=True)
class Decision:
    """What the bot does with one message (SPEC "Decision JSON")."""

    kind: Kind
    intent: str | None
    score: float
    suggestions: tuple[str, ...] = ()
    reply: str = ""
    crisis_kind: str | None = field(default=None, compare=False)
    """For ``crisis``: which kind fired (suicide, overdose, violence); not part of the JSON."""

    def to_json(self, text: str) -> dict[str, Any]:
        """The SPEC's decision object for ``ask --json``."""
        data = asdict(self)
        return {
            "text": text,
            "kind": data["kind"],
            "intent": data["intent"],
            "score": round(float(data["score"]), 1),
            "suggestions": list(data["suggestions"]),
            "reply": data["reply"],
        }
