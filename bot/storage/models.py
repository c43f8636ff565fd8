"""Plain data objects the store hands out (no SQLAlchemy objects leak to callers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

ROLES = ("recovery", "family", "supporter")
FREQUENCIES = ("daily", "weekdays", "weekly", "off")
# Counter names the bot uses; keys are ids (intent id, crisis kind), never message text.
COUNTER_NAMES = (
    "intent_hit",
    "suggest",
    "fallback",
    "crisis",
    "message",
    # Delivery (operator counts; logs carry no per-message lines): retries by cause
    # (429, timeout, cut_off, error), sends given up by priority (crisis, reply, checkin),
    # updates Telegram delivered again and that were not answered twice, people who blocked
    # the bot.
    "send_retry",
    "send_failed",
    "duplicate_update",
    "blocked",
)


@dataclass(frozen=True)
class Erasure:
    """What ``Store.forget`` did.

    ``complete``: the person's rows are deleted and, on SQLite, their words were checked to be
    gone from the database file and its WAL. False: the rows are deleted (the bot no longer
    knows the person) but an open read transaction elsewhere kept old copies on disk for now;
    the store wipes them in the background as soon as it can.
    """

    complete: bool


@dataclass(frozen=True)
class User:
    chat_id: int
    role: str | None = None
    country: str | None = None
    timezone: str | None = None
    consent: bool = False
    consent_at: datetime | None = None
    recovery_start: date | None = None
    active: bool = True
    created_on: date | None = None
    last_seen: date | None = None


@dataclass(frozen=True)
class CheckinSettings:
    frequency: str = "daily"
    weekday: int | None = None
    local_time: time = time(20, 0)
    timezone: str = "UTC"
    next_due_at: datetime | None = None
    paused: bool = False
    unanswered: int = 0
    last_sent_at: datetime | None = None


@dataclass(frozen=True)
class CheckinAnswer:
    chat_id: int
    at: datetime
    mood: str
    craving: int | None = None


@dataclass(frozen=True)
class Stats:
    """Operator counts: no chat ids, nothing anyone wrote."""

    users: int = 0
    users_by_role: dict[str, int] = field(default_factory=dict)
    consented_users: int = 0
    active_users_7d: int = 0
    active_checkins: int = 0
    safety_plans: int = 0
    messages: int = 0
    answers_per_intent: dict[str, int] = field(default_factory=dict)
    suggestions: int = 0
    fallbacks: int = 0
    crisis_per_kind: dict[str, int] = field(default_factory=dict)
    feedback_per_intent: dict[str, tuple[int, int]] = field(default_factory=dict)  # (👍, 👎)
    since: date | None = None
    send_retries: dict[str, int] = field(default_factory=dict)  # by cause
    sends_failed: dict[str, int] = field(default_factory=dict)  # by priority
    duplicate_updates: int = 0
    blocked: int = 0

    @property
    def answers(self) -> int:
        return sum(self.answers_per_intent.values())

    @property
    def fallback_rate(self) -> float:
        """Fallbacks per handled message (messages counter, else answer+suggest+fallback)."""
        handled = self.messages or (self.answers + self.suggestions + self.fallbacks)
        return self.fallbacks / handled if handled else 0.0
