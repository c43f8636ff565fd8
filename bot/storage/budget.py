"""The send budget's shared row (PostgreSQL): one per bot token, for every instance.

Slots are handed out GCRA-style: each grant takes the next free slot and moves it on by one
interval, so grants are spaced evenly whichever instance asks, and no more than the budget
fits in any one second. A flood wait (``429 retry_after``) moves every later slot past it.
Times are the database's clock (seconds since the epoch), the one clock all instances share.

Two lanes share the row. ``next_slot`` is everyone's (answers, check-ins, crisis replies);
``crisis_slot`` is a small lane of its own that only crisis replies take (:meth:`take_crisis`),
so a crisis reply finds a slot at once even when answers have booked every slot of the main
lane ahead. Each lane is spaced by its own interval, so no second holds more than the sum of
the two rates, whoever asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text

from bot.storage.database import Database

_NOW = "extract(epoch from clock_timestamp())::float8"
_TAKE = text(
    f"""
    WITH cur AS (
        SELECT bot_id, greatest(next_slot, paused_until, {_NOW} + :l) AS slot, {_NOW} AS now
        FROM send_budget WHERE bot_id = :b FOR UPDATE
    ), taken AS (
        UPDATE send_budget AS s SET next_slot = cur.slot + :i FROM cur
        WHERE s.bot_id = cur.bot_id AND cur.slot <= cur.now + :l + :h
        RETURNING s.bot_id
    )
    SELECT cur.slot, cur.now, EXISTS (SELECT 1 FROM taken) AS granted FROM cur
    """
)
_TAKE_CRISIS = text(
    f"""
    WITH row AS (
        SELECT bot_id, next_slot, crisis_slot, paused_until, {_NOW} AS now
        FROM send_budget WHERE bot_id = :b FOR UPDATE
    ), cur AS (
        SELECT bot_id, now, greatest(next_slot, paused_until, now + :l) AS slot,
            greatest(crisis_slot, paused_until, now + :l) AS crisis
        FROM row
    ), taken AS (
        UPDATE send_budget AS s SET
            crisis_slot = CASE WHEN cur.crisis < cur.slot
                THEN cur.crisis + :ci ELSE s.crisis_slot END,
            next_slot = CASE WHEN cur.crisis < cur.slot
                THEN s.next_slot ELSE cur.slot + :i END
        FROM cur WHERE s.bot_id = cur.bot_id
        RETURNING s.bot_id
    )
    SELECT least(cur.slot, cur.crisis) AS slot, cur.now, EXISTS (SELECT 1 FROM taken) AS granted,
        cur.crisis < cur.slot AS lane
    FROM cur
    """
)
"""A crisis reply's slot: the main lane's when it is free as soon (the crisis lane stays
for the next one), else the crisis lane's next one when that comes first. Always granted,
however far away."""

_CREATE = text(
    "INSERT INTO send_budget (bot_id, next_slot, paused_until, crisis_slot) "
    "VALUES (:b, 0, 0, 0) ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True)
class Slot:
    """A grant (``granted``) at ``at``, or the earliest slot on offer; ``now`` by the same clock."""

    granted: bool
    at: float
    now: float
    crisis_lane: bool = False
    """Taken from the crisis lane (not the main one)."""

    @property
    def wait(self) -> float:
        return max(0.0, self.at - self.now)


class SlotBudgets(Protocol):
    """Where the send slots every instance shares live: this module's PostgreSQL row
    (:class:`SendBudgets`), or Redis (:class:`bot.storage.redis_budget.RedisSendBudgets`).
    Both hand out the same slots by the same rules, on the store's own clock."""

    @property
    def shared(self) -> bool:
        """True when several instances can share these slots."""
        ...

    async def take(
        self,
        bot_id: int,
        interval: float,
        horizon: float,
        *,
        lead: float = 0.0,
        urgent: bool = False,
    ) -> Slot: ...

    async def take_crisis(
        self, bot_id: int, interval: float, crisis_interval: float, *, lead: float = 0.0
    ) -> Slot: ...

    async def pause(self, bot_id: int, seconds: float) -> None: ...


class SendBudgets:
    """:class:`SlotBudgets` in one PostgreSQL row per bot token (SQLite: one process)."""

    def __init__(self, db: Database, urgent: Database | None = None) -> None:
        self.db = db
        self.urgent = urgent or db
        """Crisis replies take their slots through the urgent pool (see Store.urgent_db)."""

    @property
    def shared(self) -> bool:
        """Only PostgreSQL holds a budget for several instances (SQLite: one process)."""
        return self.db.pg

    async def take(
        self,
        bot_id: int,
        interval: float,
        horizon: float,
        *,
        lead: float = 0.0,
        urgent: bool = False,
    ) -> Slot:
        """Take the next free slot if it is at most ``horizon`` seconds after ``lead``.

        ``lead``: no slot is handed out sooner than this many seconds from now, so the asker
        has the time to get the answer before its slot comes (a slot is used on time or not
        at all, :mod:`bot.telegram.shared_budget`). One statement: the row is locked only
        while it runs, so instances asking at once queue for microseconds, not round trips.
        """
        params = {"b": bot_id, "i": interval, "h": min(horizon, 1e9), "l": lead}
        async with (self.urgent if urgent else self.db).single() as conn:
            row = (await conn.execute(_TAKE, params)).first()
            if row is None:
                await conn.execute(_CREATE, {"b": bot_id})
                return Slot(False, 0.0, 0.0)  # asked again at once
        slot, now, granted = float(row.slot), float(row.now), bool(row.granted)
        if granted:
            return Slot(True, slot, now)
        return Slot(False, slot - horizon - lead, now)

    async def take_crisis(
        self, bot_id: int, interval: float, crisis_interval: float, *, lead: float = 0.0
    ) -> Slot:
        """A crisis reply's slot, always granted: the crisis lane's next slot (spaced
        ``crisis_interval``) or the main lane's (spaced ``interval``), whichever comes first.

        Answers and check-ins never take the crisis lane, so it is free at once unless crisis
        replies used it within the last ``crisis_interval``. Through the urgent pool.
        """
        params = {"b": bot_id, "i": interval, "ci": crisis_interval, "l": lead}
        async with self.urgent.single() as conn:
            row = (await conn.execute(_TAKE_CRISIS, params)).first()
            if row is None:
                await conn.execute(_CREATE, {"b": bot_id})
                return Slot(False, 0.0, 0.0)  # asked again at once
        return Slot(bool(row.granted), float(row.slot), float(row.now), bool(row.lane))

    async def pause(self, bot_id: int, seconds: float) -> None:
        """Telegram asked for a flood wait: no instance sends before it ends."""
        async with self.db.single() as conn:
            await conn.execute(
                text(
                    f"UPDATE send_budget SET paused_until = greatest(paused_until, {_NOW} + :s) "
                    "WHERE bot_id = :b"
                ),
                {"s": seconds, "b": bot_id},
            )
