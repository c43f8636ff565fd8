"""Tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` must produce exactly these.

Privacy rule: tables either hold rows about one person (keyed by ``chat_id``, listed in
PERSONAL_TABLES and erased by ``Store.forget``) or hold nothing about anyone: anonymous
aggregates and operational bookkeeping (ANONYMOUS_TABLES). A test fails when a table is added
without being put in one of the two lists.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    false,
    true,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass a timezone-aware datetime")
        value = value.astimezone(timezone.utc)
        # SQLite keeps text; dropping the offset makes string order equal time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("role", String(16)),  # recovery | family | supporter
    Column("country", String(2)),  # ISO 3166-1 alpha-2
    Column("timezone", String(64)),  # IANA name
    Column("consent", Boolean, nullable=False, server_default=false()),
    Column("consent_at", UTCDateTime()),
    Column("recovery_start", Date),
    Column("active", Boolean, nullable=False, server_default=true()),
    # Dates, not times: enough for "active users" and keeps less about the person.
    Column("created_on", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
)

checkins = Table(
    "checkins",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("frequency", String(16), nullable=False),  # daily | weekdays | weekly | off
    Column("weekday", SmallInteger),  # 0 = Monday; for weekly
    Column("local_time", Time, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("next_due_at", UTCDateTime()),
    Column("paused", Boolean, nullable=False, server_default=false()),
    Column("unanswered", Integer, nullable=False, server_default="0"),
    Column("last_sent_at", UTCDateTime()),
    # A sender sets this when it takes a due check-in, so other instances skip it.
    Column("claimed_until", UTCDateTime()),
    Index("ix_checkins_next_due_at", "next_due_at"),
)

checkin_answers = Table(
    "checkin_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("mood", String(32), nullable=False),  # a button key, never free text
    Column("craving", SmallInteger),  # 0-10
    Index("ix_checkin_answers_chat_id_at", "chat_id", "at"),
)

safety_plans = Table(
    "safety_plans",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("plan", Text, nullable=False),  # JSON: {section: [item, ...]}
    Column("updated_at", UTCDateTime(), nullable=False),
)

group_settings = Table(
    "group_settings",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("crisis_watch", Boolean, nullable=False, server_default=true()),
)

counters = Table(
    "counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("name", String(32), primary_key=True),
    Column("key", String(64), primary_key=True, server_default=""),
    Column("n", BigInteger, nullable=False, server_default="0"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("day", Date, primary_key=True),
    Column("intent", String(64), primary_key=True),
    Column("helpful", BigInteger, nullable=False, server_default="0"),
    Column("not_helpful", BigInteger, nullable=False, server_default="0"),
)

processed_updates = Table(
    "processed_updates",
    metadata,
    # Update ids are per bot; a new token (a new bot) starts its own sequence.
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    # When the first instance took it; rows older than two days are pruned (Telegram keeps
    # an undelivered update for at most 24 hours, so it cannot come back after that).
    Column("seen_at", UTCDateTime(), nullable=False),
    Index("ix_processed_updates_seen_at", "seen_at"),
)

flows = Table(
    "flows",
    metadata,
    # Where a person is in a multi-step exchange, so any instance continues it: one row per
    # (chat, slot), e.g. slot "flow" = "sp" (safety plan) with state "3" (the step). States
    # are ids and numbers (checked by bot.storage.flows), never what the person wrote.
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("slot", String(16), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("state", String(255), nullable=False, server_default=""),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_flows_expires_at", "expires_at"),
)

inbox = Table(
    "inbox",
    metadata,
    # Webhook updates stored before Telegram gets its 200, deleted once handled; an update
    # whose lease ran out (its instance died) is taken over by another instance.
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger),  # for erasure (/forget) of updates not yet handled
    Column("payload", Text, nullable=False),  # the update's JSON, kept only until handled
    Column("received_at", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=False),
    Index("ix_inbox_lease_until", "lease_until"),
)

send_budget = Table(
    "send_budget",
    metadata,
    # One row per bot token, shared by every instance (PostgreSQL): the next free send slot,
    # the next free slot of the crisis lane (a few a second only crisis replies take) and the
    # end of a flood wait Telegram asked for (seconds since the epoch, by the database's
    # clock).
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("next_slot", Float, nullable=False, server_default="0"),
    Column("paused_until", Float, nullable=False, server_default="0"),
    Column("crisis_slot", Float, nullable=False, server_default="0"),
)

PERSONAL_TABLES: tuple[Table, ...] = (
    users,
    checkins,
    checkin_answers,
    safety_plans,
    group_settings,
    flows,
    inbox,
)
ANONYMOUS_TABLES: tuple[Table, ...] = (counters, feedback, processed_updates, send_budget)
