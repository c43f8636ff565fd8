"""The check-in sender in simulated time: pace, unreachable people, pause notes, groups."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.checkins import texts
from bot.checkins.dispatcher import Claimed
from bot.checkins.sender import CheckinSender, TokenBucket
from bot.conversation.reply import Reply
from bot.features.checkins import messages
from bot.storage import CheckinSettings, Store

NOW = datetime(2026, 11, 2, 9, 0, 30, tzinfo=timezone.utc)
GRACE = timedelta(minutes=120)


class FakeClock:
    """Seconds that pass only when the code sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # let started sends run at the current instant first
        self.t += seconds


class FakeSender:
    def __init__(self, clock: FakeClock, blocked: frozenset[int] = frozenset()) -> None:
        self.clock = clock
        self.blocked = blocked
        self.sent: list[tuple[float, int, Reply]] = []

    async def send(self, chat_id: int, reply: Reply) -> bool:
        if chat_id in self.blocked:
            return False
        self.sent.append((self.clock(), chat_id, reply))
        return True


async def schedule(store: Store, chat_id: int, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "frequency": "daily",
        "local_time": time(9, 0),
        "timezone": "UTC",
        "next_due_at": NOW - timedelta(seconds=30),
    }
    values.update(overrides)
    await store.people.ensure(chat_id)
    await store.checkins.save(chat_id, CheckinSettings(**values))


def make_sender(store: Store, clock: FakeClock, fake: FakeSender, rate: float) -> CheckinSender:
    wording = texts.default()

    def message_for(claimed: Claimed) -> Reply:
        return messages.message_for(wording, claimed)

    return CheckinSender(
        store,
        fake,
        cast(Any, SimpleNamespace(update_user=store.people.update)),
        message_for,
        rate=rate,
        grace=GRACE,
        clock=clock,
        sleep=clock.sleep,
        now=lambda: NOW,
    )


async def test_sends_at_the_configured_rate_per_simulated_second(sqlite_store: Store) -> None:
    for chat_id in range(1, 101):
        await schedule(sqlite_store, chat_id)
    clock = FakeClock()
    fake = FakeSender(clock)
    result = await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert result.sent == 100 and result.claimed == 100
    per_second = Counter(math.floor(t + 1e-9) for t, _, _ in fake.sent)
    assert per_second == {0: 25, 1: 25, 2: 25, 3: 25}
    assert sorted(chat for _, chat, _ in fake.sent) == list(range(1, 101))  # each exactly once
    assert all(r.text.startswith("How are you doing today?") for _, _, r in fake.sent)
    # A second tick at the same moment finds nothing: they were claimed.
    assert (await make_sender(sqlite_store, clock, fake, rate=25).tick()).claimed == 0


async def test_token_bucket_restarts_after_idle_without_a_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock, clock.sleep)
    starts = []
    for _ in range(3):
        await bucket.acquire()
        starts.append(clock())
    clock.t += 60  # idle a minute: no saved-up burst
    for _ in range(3):
        await bucket.acquire()
        starts.append(clock())
    assert starts == pytest.approx([0, 0.1, 0.2, 60.2, 60.3, 60.4])
    with pytest.raises(ValueError):
        TokenBucket(0)


async def test_blocked_person_is_deactivated_and_paused(sqlite_store: Store) -> None:
    await schedule(sqlite_store, 7)
    await schedule(sqlite_store, 8)
    clock = FakeClock()
    fake = FakeSender(clock, blocked=frozenset({7}))
    result = await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert (result.sent, result.unreachable) == (1, 1)
    user = await sqlite_store.people.get(7)
    settings = await sqlite_store.checkins.get(7)
    assert user is not None and not user.active
    assert settings is not None and settings.paused
    other = await sqlite_store.people.get(8)
    assert other is not None and other.active


async def test_three_unanswered_get_a_gentle_pause_note_not_a_fourth(sqlite_store: Store) -> None:
    await schedule(sqlite_store, 9, unanswered=3)
    clock = FakeClock()
    fake = FakeSender(clock)
    result = await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert (result.sent, result.notes) == (0, 1)
    ((_, chat, note),) = fake.sent
    assert chat == 9 and "paused" in note.text and "/checkin" in note.text
    assert "How are you doing" not in note.text
    assert [b.action for b in note.all_buttons()] == ["v1:ci:resume"]
    settings = await sqlite_store.checkins.get(9)
    assert settings is not None and settings.paused and settings.next_due_at is None


async def test_never_sends_to_a_group(sqlite_store: Store) -> None:
    await schedule(sqlite_store, -100123)
    clock = FakeClock()
    fake = FakeSender(clock)
    result = await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert fake.sent == [] and result.skipped_groups == 1
    settings = await sqlite_store.checkins.get(-100123)
    assert settings is not None and settings.paused


async def test_one_failing_send_does_not_stop_the_others(sqlite_store: Store) -> None:
    for chat_id in (11, 12, 13):
        await schedule(sqlite_store, chat_id)
    clock = FakeClock()

    class Flaky(FakeSender):
        async def send(self, chat_id: int, reply: Reply) -> bool:
            if chat_id == 12:
                raise RuntimeError("network")
            return await super().send(chat_id, reply)

    fake = Flaky(clock)
    result = await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert (result.sent, result.failed) == (2, 1)


async def test_missed_beyond_grace_is_not_sent(sqlite_store: Store) -> None:
    due = NOW.replace(hour=4, minute=0, second=0)
    await schedule(sqlite_store, 21, local_time=time(4, 0), next_due_at=due)
    clock = FakeClock()
    fake = FakeSender(clock)
    await make_sender(sqlite_store, clock, fake, rate=25).tick()
    assert fake.sent == []  # five hours late: skipped, not sent late
    settings = await sqlite_store.checkins.get(21)
    assert settings is not None and settings.next_due_at == due + timedelta(days=1)
