"""Claim due check-ins exactly once, across several bot instances sharing one database.

A claim is one write transaction that reads the due rows and moves each one's
``next_due_at`` forward (and sets ``last_sent_at``) before committing:
* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent claimers take disjoint rows
  without waiting on each other; the row locks last until the update commits.
* SQLite: ``Store.transaction()`` starts with ``BEGIN IMMEDIATE``, so one writer at a time
  (the FOR UPDATE clause is not rendered there).

Delivery is at most once: a claimed row is already rescheduled, so a crash between claim
and send loses that one check-in rather than sending it twice or flooding later.

Downtime: a check-in whose time passed by more than ``grace`` is not sent; the row moves
to its next time (or to the latest missed time if that one is still within grace). So after
an outage each person gets at most one check-in.

No clock inside: callers pass ``now`` (UTC), so tests run in simulated time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from bot.checkins.schedule import next_due_at
from bot.storage import Store
from bot.storage.schema import checkins

log = logging.getLogger(__name__)

# Three check-ins in a row without an answer: pause instead of sending a fourth.
MAX_UNANSWERED = 3
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class Claimed:
    """One claimed check-in for the sender.

    ``pause_note``: do not send a check-in; the person left the last MAX_UNANSWERED
    unanswered and their check-ins are now paused; send the gentle note instead.
    """

    chat_id: int
    due_at: datetime
    next_due_at: datetime | None
    pause_note: bool = False


@dataclass(frozen=True)
class _Decision:
    values: dict[str, Any]
    claimed: Claimed | None


def _decide(row: Any, now: datetime, grace: timedelta) -> _Decision:
    """What to do with one due row (pure; ``row`` has the checkins columns)."""
    due: datetime = row.next_due_at
    chat_id = int(row.chat_id)

    def schedule_after(moment: datetime) -> datetime | None:
        return next_due_at(row.frequency, row.local_time, row.timezone, moment, row.weekday)

    try:
        if int(row.unanswered) >= MAX_UNANSWERED:
            return _Decision(
                {"paused": True, "next_due_at": None},
                Claimed(chat_id, due, None, pause_note=True),
            )
        if due < now - grace:
            # Missed by more than grace: the latest missed time may still be within grace.
            latest = schedule_after(now - grace - _TINY)
            if latest is None or latest > now:
                return _Decision({"next_due_at": latest}, None)
            due = latest
        following = schedule_after(now)
    except (ValueError, KeyError, TypeError) as exc:  # unknown zone, bad weekday...
        log.warning("check-in row has an invalid schedule (%s); stopping it", type(exc).__name__)
        return _Decision({"next_due_at": None}, None)
    return _Decision(
        {
            "next_due_at": following,
            "last_sent_at": now,
            "unanswered": int(row.unanswered) + 1,
        },
        Claimed(chat_id, due, following),
    )


async def _claim_batch(
    store: Store, now: datetime, grace: timedelta, limit: int
) -> tuple[list[Claimed], int]:
    """One transaction: returns (claimed, rows looked at)."""
    stmt = (
        select(
            checkins.c.chat_id,
            checkins.c.frequency,
            checkins.c.weekday,
            checkins.c.local_time,
            checkins.c.timezone,
            checkins.c.next_due_at,
            checkins.c.unanswered,
        )
        .where(
            checkins.c.next_due_at <= now,
            checkins.c.paused.is_(False),
            checkins.c.frequency != "off",
        )
        .order_by(checkins.c.next_due_at, checkins.c.chat_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed: list[Claimed] = []
    async with store.transaction() as conn:
        rows = (await conn.execute(stmt)).all()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            decision = _decide(row, now, grace)
            if decision.claimed is not None:
                claimed.append(decision.claimed)
            key = tuple(sorted(decision.values))
            params = {f"v_{k}": v for k, v in decision.values.items()}
            params["k_chat_id"] = row.chat_id
            groups.setdefault(key, []).append(params)
        # One executemany per shape of update, not one round trip per row.
        for key, params_list in groups.items():
            upd = (
                update(checkins)
                .where(checkins.c.chat_id == bindparam("k_chat_id"))
                .values({k: bindparam(f"v_{k}") for k in key})
            )
            await conn.execute(upd, params_list)
    return claimed, len(rows)


async def claim_due(
    store: Store, now: datetime, grace: timedelta, limit: int = 100
) -> list[Claimed]:
    """Claim up to ``limit`` check-ins due at ``now`` (UTC); each is returned to one caller only.

    Rows missed beyond ``grace`` are rescheduled without being returned. Paused rows and
    frequency "off" are never claimed. Call again while it returns ``limit`` items.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    claimed: list[Claimed] = []
    skipped = 0
    while len(claimed) < limit:
        asked = limit - len(claimed)
        batch, seen = await _claim_batch(store, now, grace, asked)
        claimed.extend(batch)
        skipped += seen - len(batch)
        if seen < asked:
            break  # fewer rows than asked for: nothing more is due (or others hold them)
    if skipped:
        log.info("skipped %d check-ins missed beyond the grace window", skipped)
    return claimed


async def mark_answered(store: Store, chat_id: int) -> None:
    """The person answered a check-in: the unanswered streak starts again."""
    async with store.transaction() as conn:
        await conn.execute(
            update(checkins).where(checkins.c.chat_id == chat_id).values(unanswered=0)
        )
