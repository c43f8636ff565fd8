"""Claiming due check-ins in simulated time, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, time, timedelta, timezone

from bot.checkins.dispatcher import (
    CLAIM_LEASE,
    MAX_UNANSWERED,
    Claimed,
    claim_due,
    complete,
    mark_answered,
)
from bot.storage import CheckinSettings, Store
from bot.storage.schema import checkins

UTC = timezone.utc
GRACE = timedelta(hours=2)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


async def claim_sent(
    store: Store, now: datetime, grace: timedelta, limit: int = 100
) -> list[Claimed]:
    """Claim, then complete each as the sender does once it has sent it."""
    got = await claim_due(store, now, grace, limit)
    for item in got:
        await complete(store, item)
    return got


def daily(at: time, due: datetime | None, *, paused: bool = False) -> CheckinSettings:
    return CheckinSettings(
        frequency="daily", local_time=at, timezone="UTC", next_due_at=due, paused=paused
    )


async def test_due_check_in_is_claimed_once_and_rescheduled(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    now = utc(2026, 1, 5, 20, 0, 30)
    got = await claim_sent(store, now, GRACE)
    assert [(c.chat_id, c.due_at, c.next_due_at, c.pause_note) for c in got] == [
        (1, utc(2026, 1, 5, 20), utc(2026, 1, 6, 20), False)
    ]
    assert await claim_sent(store, now, GRACE) == []
    s = await store.checkins.get(1)
    assert s is not None
    assert (s.next_due_at, s.last_sent_at, s.unanswered) == (utc(2026, 1, 6, 20), now, 1)


async def test_not_yet_due_paused_and_off_are_not_claimed(store: Store) -> None:
    now = utc(2026, 1, 5, 20)
    await store.checkins.save(1, daily(time(21), utc(2026, 1, 5, 21)))
    await store.checkins.save(2, daily(time(20), now, paused=True))
    await store.checkins.save(
        3, CheckinSettings(frequency="off", local_time=time(20), next_due_at=now)
    )
    await store.checkins.save(4, daily(time(20), None))
    assert await claim_sent(store, now, GRACE) == []


async def test_downtime_within_grace_sends_once(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    now = utc(2026, 1, 5, 21, 30)  # back up 90 minutes late, grace 2 h
    got = await claim_sent(store, now, GRACE)
    assert [(c.chat_id, c.due_at) for c in got] == [(1, utc(2026, 1, 5, 20))]
    assert await claim_sent(store, now + timedelta(minutes=1), GRACE) == []


async def test_downtime_beyond_grace_skips_without_sending(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    now = utc(2026, 1, 5, 23)  # 3 h late
    assert await claim_sent(store, now, GRACE) == []
    s = await store.checkins.get(1)
    assert s is not None
    assert (s.next_due_at, s.last_sent_at, s.unanswered) == (utc(2026, 1, 6, 20), None, 0)
    # The next day it is sent as usual.
    got = await claim_sent(store, utc(2026, 1, 6, 20), GRACE)
    assert [c.chat_id for c in got] == [1]


async def test_days_of_downtime_never_flood(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 1, 20)))
    await store.checkins.save(2, daily(time(9), utc(2026, 1, 1, 9)))
    # Down from Jan 1 to Jan 5 20:30: person 1's latest time (20:00) is within grace,
    # person 2's (09:00) is not. Each gets at most one check-in.
    now = utc(2026, 1, 5, 20, 30)
    got = await claim_sent(store, now, GRACE)
    assert [(c.chat_id, c.due_at, c.next_due_at) for c in got] == [
        (1, utc(2026, 1, 5, 20), utc(2026, 1, 6, 20))
    ]
    s2 = await store.checkins.get(2)
    assert s2 is not None and s2.next_due_at == utc(2026, 1, 6, 9)
    assert await claim_sent(store, now, GRACE) == []


async def test_three_unanswered_pause_with_a_note(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 1, 20)))
    sent: list[Claimed] = []
    for day in range(1, 5):
        sent += await claim_sent(store, utc(2026, 1, day, 20), GRACE)
    assert [c.pause_note for c in sent] == [False] * MAX_UNANSWERED + [True]
    s = await store.checkins.get(1)
    assert s is not None and s.paused and s.next_due_at is None
    assert await claim_sent(store, utc(2026, 1, 5, 20), GRACE) == []


async def test_an_answer_resets_the_unanswered_streak(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 1, 20)))
    notes: list[bool] = []
    for day in range(1, 8):
        for c in await claim_sent(store, utc(2026, 1, day, 20), GRACE):
            notes.append(c.pause_note)
            if day == 3:
                await mark_answered(store, 1)
    assert notes == [False] * 6 + [True]  # 3 unanswered after the answer on day 3


async def test_limit_and_order(store: Store) -> None:
    for i in range(5):
        await store.checkins.save(i, daily(time(20), utc(2026, 1, 5, 19, 50 - i)))
    now = utc(2026, 1, 5, 20)
    first = await claim_sent(store, now, GRACE, limit=2)
    assert [c.chat_id for c in first] == [4, 3]  # the longest waiting first
    rest = await claim_sent(store, now, GRACE, limit=10)
    assert sorted(c.chat_id for c in rest) == [0, 1, 2]


async def test_invalid_stored_schedule_is_stopped_not_crashing(store: Store) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            checkins.insert().values(
                chat_id=9,
                frequency="weekly",
                weekday=None,
                local_time=time(20),
                timezone="UTC",
                next_due_at=utc(2026, 1, 5, 20),
            )
        )
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    got = await claim_sent(store, utc(2026, 1, 5, 20), GRACE)
    assert [c.chat_id for c in got] == [1]


async def test_dst_day_in_new_york_is_sent_once(store: Store) -> None:
    await store.checkins.save(
        1,
        CheckinSettings(
            frequency="daily",
            local_time=time(1, 30),
            timezone="America/New_York",
            next_due_at=utc(2026, 11, 1, 5, 30),  # first 01:30 (EDT)
        ),
    )
    claimed: list[Claimed] = []
    # Tick every 10 minutes through the repeated hour and on to the next day.
    t = utc(2026, 11, 1, 5)
    while t < utc(2026, 11, 2, 7):
        claimed += await claim_sent(store, t, GRACE)
        t += timedelta(minutes=10)
    assert [c.due_at for c in claimed] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


# -- exactly once under concurrency --------------------------------------------------------

N = 1000


async def _fill(store: Store, now: datetime) -> None:
    rows = [
        {
            "chat_id": 10_000 + i,
            "frequency": "daily",
            "weekday": None,
            "local_time": time(20),
            "timezone": "UTC",
            "next_due_at": now - timedelta(seconds=i % 600),
            "paused": False,
            "unanswered": 0,
        }
        for i in range(N)
    ]
    async with store.transaction() as conn:
        await conn.execute(checkins.insert(), rows)


async def _drain(store: Store, now: datetime, out: list[int]) -> None:
    while True:
        got = await claim_sent(store, now, GRACE, limit=25)
        out.extend(c.chat_id for c in got)
        if not got:
            return
        # Yield briefly so the other claimer (waiting on the SQLite write lock) gets a turn.
        await asyncio.sleep(0.002)


async def test_two_claimers_claim_each_exactly_once(store: Store, database_url: str) -> None:
    now = utc(2026, 1, 5, 20)
    await _fill(store, now)
    a_store = await Store.open(database_url)
    b_store = await Store.open(database_url)
    a: list[int] = []
    b: list[int] = []
    try:
        await asyncio.gather(_drain(a_store, now, a), _drain(b_store, now, b))
    finally:
        await a_store.close()
        await b_store.close()
    assert len(a) + len(b) == N
    assert set(a).isdisjoint(b)
    assert set(a) | set(b) == {10_000 + i for i in range(N)}
    print(f"{store.backend}: claimer A {len(a)}, claimer B {len(b)}")
    assert await claim_sent(store, now, GRACE) == []


async def test_a_claim_whose_claimer_died_is_sent_by_another_after_its_lease(
    store: Store,
) -> None:
    """An instance claims and dies before sending: no loss, and no second copy meanwhile."""
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    now = utc(2026, 1, 5, 20, 0, 30)
    (lost,) = await claim_due(store, now, GRACE)  # never completed: its claimer was killed
    assert await claim_due(store, now + CLAIM_LEASE / 2, GRACE) == []  # still its claimer's
    (again,) = await claim_due(store, now + CLAIM_LEASE + timedelta(seconds=1), GRACE)
    assert (again.chat_id, again.due_at) == (lost.chat_id, lost.due_at)
    await complete(store, again)
    s = await store.checkins.get(1)
    assert s is not None and (s.next_due_at, s.unanswered) == (utc(2026, 1, 6, 20), 1)
    assert await claim_due(store, now + 2 * CLAIM_LEASE, GRACE) == []


async def test_completion_leaves_settings_the_person_changed_meanwhile(store: Store) -> None:
    await store.checkins.save(1, daily(time(20), utc(2026, 1, 5, 20)))
    (claimed,) = await claim_due(store, utc(2026, 1, 5, 20, 0, 30), GRACE)
    stopped = daily(time(20), None)
    await store.checkins.save(1, CheckinSettings(**{**stopped.__dict__, "frequency": "off"}))
    await complete(store, claimed)
    s = await store.checkins.get(1)
    assert s is not None and (s.frequency, s.next_due_at) == ("off", None)


_WORKER = """
import asyncio, json, sys
from datetime import datetime, timedelta, timezone
from bot.checkins.dispatcher import claim_due
from bot.storage import Store

async def main() -> None:
    store = await Store.open(sys.argv[1])
    now = datetime.fromisoformat(sys.argv[2])
    got = []
    try:
        while True:
            batch = await claim_due(store, now, timedelta(hours=2), limit=25)
            if not batch:
                break
            got += [c.chat_id for c in batch]
            await asyncio.sleep(0.002)
    finally:
        await store.close()
    print(json.dumps(got))

asyncio.run(main())
"""


async def test_two_processes_claim_each_exactly_once(store: Store, database_url: str) -> None:
    now = utc(2026, 1, 5, 20)
    await _fill(store, now)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            database_url,
            now.isoformat(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outs = await asyncio.gather(*(p.communicate() for p in procs))
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    a, b = (json.loads(out) for out, _err in outs)
    print(f"{store.backend} processes: A {len(a)}, B {len(b)}")
    assert len(a) + len(b) == N
    assert set(a).isdisjoint(b)
    assert set(a) | set(b) == {10_000 + i for i in range(N)}
