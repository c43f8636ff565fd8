"""Claim due check-ins exactly once, across several bot instances sharing one database.

A claim is one write transaction that reads the due rows and leases each one
(``claimed_until``) before committing:
* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent claimers take disjoint rows
  without waiting on each other; the row locks last until the lease commits.
* SQLite: ``Store.transaction()`` starts with ``BEGIN IMMEDIATE``, so one writer at a time
  (the FOR UPDATE clause is not rendered there).

Once the check-in is sent (or given up), :func:`complete` moves the row's ``next_due_at``
forward and sets ``last_sent_at``. An instance that dies between claim and send leaves its
rows leased: when the lease ends another instance claims and sends them, so a killed instance
loses no check-in. A duplicate needs a death in the moment between a send and its completion.

Downtime: a check-in whose time passed by more than ``grace`` is not sent; the row moves
to its next time (or to the latest missed time if that one is still within grace). So after
an outage each person gets at most one check-in.

No clock inside: callers pass ``now`` (UTC), so tests run in simulated time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update

from bot.checkins.schedule import next_due_at
from bot.storage import Store
from bot.storage.schema import checkins

log = logging.getLogger(__name__)

# Three check-ins in a row without an answer: pause instead of sending a fourth.
MAX_UNANSWERED = 3
CLAIM_LEASE = timedelta(seconds=60)
"""How long a claimed check-in is left to its claimer before another instance may take it."""
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
    done: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The row's values once sent (rescheduled); written by :func:`complete`."""
    row_due: datetime | None = field(default=None, compare=False, repr=False)
    """``next_due_at`` as claimed: completion leaves a row the person changed meanwhile."""


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
    store: Store, now: datetime, grace: timedelta, limit: int, until: datetime
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
            or_(checkins.c.claimed_until.is_(None), checkins.c.claimed_until <= now),
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
            values = decision.values
            if decision.claimed is not None:
                claimed.append(
                    replace(decision.claimed, done=dict(values), row_due=row.next_due_at)
                )
                values = {"claimed_until": until}
            key = tuple(sorted(values))
            params = {f"v_{k}": v for k, v in values.items()}
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
    store: Store,
    now: datetime,
    grace: timedelta,
    limit: int = 100,
    lease: timedelta = CLAIM_LEASE,
    *,
    clock: datetime | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` check-ins due at ``now`` (UTC); each is returned to one caller only
    (until its ``lease`` ends without :func:`complete`: its claimer died). The lease runs
    from ``clock`` (the time now, when ``now`` is the moment a long tick started), else ``now``.

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
        batch, seen = await _claim_batch(store, now, grace, asked, (clock or now) + lease)
        claimed.extend(batch)
        skipped += seen - len(batch)
        if seen < asked:
            break  # fewer rows than asked for: nothing more is due (or others hold them)
    if skipped:
        log.info("skipped %d check-ins missed beyond the grace window", skipped)
    return claimed


async def extend(store: Store, chat_ids: list[int], until: datetime) -> None:
    """Still sending these (the budget is busy with live replies): keep their claims."""
    if not chat_ids:
        return
    async with store.coordination() as conn:
        await conn.execute(
            update(checkins)
            .where(checkins.c.chat_id.in_(chat_ids), checkins.c.claimed_until.is_not(None))
            .values(claimed_until=until)
        )


async def complete(store: Store, claimed: Claimed) -> None:
    """The claimed check-in went out (or was given up): reschedule it and end the lease.

    On the coordination pool: the sooner this commits after the send, the smaller the moment
    in which a dying instance leaves a sent check-in looking unsent.
    """
    async with store.coordination() as conn:
        if claimed.done:
            await conn.execute(
                update(checkins)
                .where(
                    and_(
                        checkins.c.chat_id == claimed.chat_id,
                        checkins.c.next_due_at == claimed.row_due,
                    )
                )
                .values(claimed.done)
            )
        await conn.execute(
            update(checkins).where(checkins.c.chat_id == claimed.chat_id).values(claimed_until=None)
        )


async def mark_answered(store: Store, chat_id: int) -> None:
    """The person answered a check-in: the unanswered streak starts again."""
    async with store.transaction() as conn:
        await conn.execute(
            update(checkins).where(checkins.c.chat_id == chat_id).values(unanswered=0)
        )
