"""One send budget per bot token across instances: three processes' worth of budgets on one
PostgreSQL database, or on one Redis (``REDIS_URL``), never grant more than the budget in any
sliding second; crisis first; a 429 seen by one instance holds them all. Every test runs on
both backends."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest

from bot.storage import Store
from bot.storage.budget import Slot
from bot.storage.redis_budget import RedisSendBudgets
from bot.telegram.budget import Priority
from bot.telegram.shared_budget import (
    CRISIS_RESERVE,
    HORIZON,
    JITTER_MARGIN,
    SharedSendBudget,
)

BOT = 99
BUDGET = 25.0


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def budget_server(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The backend and its URL: a fresh PostgreSQL database, or an emptied Redis."""
    name = "pg_url" if request.param == "postgres" else "redis_url"
    return request.param, str(request.getfixturevalue(name))


@pytest.fixture
async def budgets(budget_server: tuple[str, str]) -> AsyncIterator[list[SharedSendBudget]]:
    """Three instances' budgets: each with its own store (PostgreSQL: its own pools) or its
    own Redis client (its own connections), all on one server."""
    backend, url = budget_server
    if backend == "postgres":
        stores = [await Store.open(url) for _ in range(3)]
        try:
            yield [SharedSendBudget(store.budget, BOT, BUDGET) for store in stores]
        finally:
            for store in stores:
                await store.close()
    else:
        clients = [RedisSendBudgets.open(url) for _ in range(3)]
        try:
            yield [SharedSendBudget(client, BOT, BUDGET) for client in clients]
        finally:
            for client in clients:
                await client.close()


def max_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def grant(budget: SharedSendBudget, priority: Priority, chat: int, out: list) -> None:
    await budget.acquire(priority, chat, new_message=True)
    out.append((time.monotonic(), priority, chat))


async def test_three_instances_never_grant_more_than_the_budget_in_a_second(
    budgets: list[SharedSendBudget],
) -> None:
    granted: list[tuple[float, Priority, int]] = []
    await asyncio.gather(
        *(grant(budgets[i % 3], Priority.REPLY, 1000 + i, granted) for i in range(75))
    )
    assert len(granted) == 75
    assert max_in_a_second([t for t, *_ in granted]) <= BUDGET


async def test_a_crisis_reply_overtakes_check_ins_waiting_on_other_instances(
    budgets: list[SharedSendBudget],
) -> None:
    granted: list[tuple[float, Priority, int]] = []
    checkins = [
        asyncio.create_task(grant(budgets[i % 3], Priority.CHECKIN, 2000 + i, granted))
        for i in range(60)
    ]
    await asyncio.sleep(0.3)  # check-ins saturate the budget
    await grant(budgets[2], Priority.CRISIS, 1, granted)
    crisis_at = next(i for i, (_, p, _) in enumerate(granted) if p == Priority.CRISIS)
    await asyncio.gather(*checkins)
    # Far ahead of the check-ins that were waiting when it came.
    assert crisis_at < 25, crisis_at
    assert max_in_a_second([t for t, *_ in granted]) <= BUDGET


async def test_a_flood_wait_seen_by_one_instance_holds_the_others(
    budgets: list[SharedSendBudget],
) -> None:
    await budgets[0].acquire(Priority.REPLY, 10, new_message=True)
    budgets[0].hold(10, 1.5)  # Telegram answered this instance 429 retry_after=1.5
    await asyncio.sleep(0.1)  # the pause reaches the database
    start = time.monotonic()
    await budgets[1].acquire(Priority.CRISIS, 11, new_message=True)
    assert time.monotonic() - start >= 1.2  # even a crisis reply waits out Telegram's wait


async def test_a_slot_stale_when_its_process_gets_to_it_is_dropped_never_used_late(
    budgets: list[SharedSendBudget],
) -> None:
    budget = budgets[0]
    budget.bot_id = BOT + 1  # a token of its own: no slots booked ahead by earlier tests
    store_budget = budget.budgets
    taken: list[Slot] = []

    def stalling(real: Callable[..., Awaitable[Slot]]) -> Callable[..., Awaitable[Slot]]:
        async def take(*args: Any, **kwargs: Any) -> Slot:
            slot = await real(*args, **kwargs)
            if slot.granted:
                taken.append(slot)
                if len(taken) == 1:
                    time.sleep(0.5)  # noqa: ASYNC251 - the whole process stalls, slot in hand
            return slot

        return take

    take = stalling(store_budget.take)
    take_crisis = stalling(store_budget.take_crisis)

    budget.budgets = SimpleNamespace(take=take, take_crisis=take_crisis, pause=store_budget.pause)
    await budget.acquire(Priority.CRISIS, 20, new_message=True)
    assert budget.dropped == 1  # the first slot passed while the process stood still
    assert len(taken) == 2 and taken[1].at > taken[0].at  # a fresh one was taken and used


def most_in_a_second(times: list[float]) -> int:
    """The most slot times in any half-open second [t, t + 1). Less a microsecond: slot
    times are sums of intervals in float8 seconds since the epoch, good to about 0.2 us."""
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + 1.0 - 1e-6) for t in times) if times else 0


async def test_a_crisis_reply_takes_the_crisis_lane_when_answers_booked_the_main_one(
    budgets: list[SharedSendBudget],
) -> None:
    budget = budgets[0]
    store = budget.budgets
    bot = BOT + 2
    await store.take(bot, budget.interval, 0.0)  # the token's row (the first ask creates it)
    answers = []
    while True:  # answers book every main-lane slot they may (a quarter of a second ahead)
        slot = await store.take(bot, budget.interval, 0.25)
        if not slot.granted:
            break
        answers.append(slot)
    assert len(answers) >= 2
    crisis = await store.take_crisis(bot, budget.interval, budget.crisis_interval)
    assert crisis.granted and crisis.crisis_lane
    # Ahead of every answer already booked: it does not queue behind them.
    assert crisis.at <= min(a.at for a in answers) + budget.interval
    assert crisis.at < max(a.at for a in answers)


async def test_crisis_replies_beyond_the_lane_overflow_into_the_main_lane(
    budgets: list[SharedSendBudget],
) -> None:
    budget = budgets[1]
    store = budget.budgets
    bot = BOT + 3
    await store.take(bot, budget.interval, 0.0)  # the token's row
    slots = [
        await store.take_crisis(bot, budget.interval, budget.crisis_interval) for _ in range(6)
    ]
    assert all(s.granted for s in slots)
    assert any(s.crisis_lane for s in slots)
    assert not all(s.crisis_lane for s in slots)  # a burst is not held to 2 a second
    lane = [s.at for s in slots if s.crisis_lane]
    assert all(b - a >= budget.crisis_interval - 1e-6 for a, b in itertools.pairwise(lane))


async def test_answers_check_ins_and_crisis_replies_together_never_exceed_the_budget(
    budgets: list[SharedSendBudget],
) -> None:
    """Whoever asks, from whichever instance, the slots handed out (by the database's clock)
    never put more than the budget less its jitter margin in any one second: the main lane's
    share plus the crisis lane's."""
    bot = BOT + 4
    budget = budgets[0]
    granted: list[Slot] = []
    await budget.budgets.take(bot, budget.interval, 0.0)  # the token's row

    async def ask(i: int) -> None:
        store = budgets[i % 3].budgets
        if i % 4 == 0:
            slot = await store.take_crisis(bot, budget.interval, budget.crisis_interval)
        else:
            slot = await store.take(bot, budget.interval, 1e9)  # booked however far ahead
        assert slot.granted
        granted.append(slot)

    await asyncio.gather(*(ask(i) for i in range(120)))
    assert len(granted) == 120
    main = [s.at for s in granted if not s.crisis_lane]
    lane = [s.at for s in granted if s.crisis_lane]
    assert lane  # crisis replies did use their lane
    assert most_in_a_second(lane) <= CRISIS_RESERVE
    assert most_in_a_second(main) <= BUDGET - JITTER_MARGIN - CRISIS_RESERVE
    assert most_in_a_second([s.at for s in granted]) <= BUDGET - JITTER_MARGIN


def counting_takes(budget: SharedSendBudget) -> list[float]:
    """Wrap the budget's crisis takes; the list gets each one's lead."""
    store_budget = budget.budgets
    calls: list[float] = []

    async def take_crisis(*args: Any, **kwargs: Any) -> Slot:
        calls.append(kwargs.get("lead", 0.0))
        slot: Slot = await store_budget.take_crisis(*args, **kwargs)
        return slot

    budget.budgets = SimpleNamespace(
        take=store_budget.take, take_crisis=take_crisis, pause=store_budget.pause
    )
    return calls


async def test_a_crisis_reply_sends_in_the_slot_taken_when_its_message_arrived(
    budgets: list[SharedSendBudget],
) -> None:
    budget = budgets[2]
    budget.bot_id = BOT + 5
    await budget.budgets.take(budget.bot_id, budget.interval, 0.0)  # the token's row
    calls = counting_takes(budget)
    budget.prebook(30)  # the crisis message arrived; its reply is being built
    await asyncio.sleep(0.01)
    await budget.acquire(Priority.CRISIS, 30, new_message=True)
    assert len(calls) == 1 and budget.dropped == 0  # no second ask: the slot was waiting
    # A reply to another chat, not booked ahead, asks as usual.
    await budget.acquire(Priority.CRISIS, 31, new_message=True)
    assert len(calls) == 2


async def test_a_slot_booked_ahead_that_passed_before_the_reply_was_ready_is_not_used(
    budgets: list[SharedSendBudget],
) -> None:
    budget = budgets[0]
    budget.bot_id = BOT + 6
    await budget.budgets.take(budget.bot_id, budget.interval, 0.0)  # the token's row
    calls = counting_takes(budget)
    budget.prebook(40)
    await asyncio.sleep(0.6)  # the reply took long: the slot is well past
    await budget.acquire(Priority.CRISIS, 40, new_message=True)
    assert budget.dropped == 1 and len(calls) == 2  # dropped, a fresh one taken and used


async def test_each_priority_books_only_as_far_ahead_as_its_horizon(
    budgets: list[SharedSendBudget],
) -> None:
    """A check-in takes only a slot free now, an answer one up to a quarter of a second
    ahead, a crisis reply any; a refusal offers the time to ask again. No slot is handed out
    sooner than ``lead`` from now."""
    bot = BOT + 7
    interval = budgets[0].interval
    first, second, third = (b.budgets for b in budgets)
    await first.take(bot, interval, 0.0)  # the token's row (the first ask creates it)
    now_free = await first.take(bot, interval, 0.0)
    if now_free.granted:  # PostgreSQL's first ask only created the row
        assert now_free.at <= now_free.now + 1e-6
    checkin = await second.take(bot, interval, 0.0)
    assert not checkin.granted  # the next slot is an interval ahead: not free now
    assert 0 < checkin.wait <= interval + 1e-6
    answers = []
    while (slot := await third.take(bot, interval, HORIZON[Priority.REPLY])).granted:
        answers.append(slot)
    assert answers and all(a.at <= a.now + HORIZON[Priority.REPLY] + 1e-6 for a in answers)
    assert len(answers) <= HORIZON[Priority.REPLY] / interval + 2
    assert slot.wait > 0  # refused: ask again once the slot on offer is within the horizon
    crisis = await first.take_crisis(bot, interval, budgets[0].crisis_interval, lead=0.1)
    assert crisis.granted and crisis.at >= crisis.now + 0.1 - 1e-6
    far = await second.take(bot, interval, 1e9)  # however far: granted, after every answer
    assert far.granted and far.at > max(a.at for a in answers)


async def test_a_pause_moves_every_lane_past_it_for_every_instance(
    budgets: list[SharedSendBudget],
) -> None:
    bot = BOT + 8
    budget = budgets[0]
    await budget.budgets.take(bot, budget.interval, 0.0)  # the token's row
    await budgets[1].budgets.pause(bot, 2.0)  # one instance saw 429 retry_after=2
    checkin = await budgets[2].budgets.take(bot, budget.interval, 0.0)
    assert not checkin.granted and checkin.wait >= 1.9
    crisis = await budgets[2].budgets.take_crisis(bot, budget.interval, budget.crisis_interval)
    assert crisis.granted and crisis.at >= crisis.now + 1.9
    answer = await budgets[0].budgets.take(bot, budget.interval, 1e9)
    assert answer.granted and answer.at >= answer.now + 1.9
    # A shorter wait seen later does not shorten it.
    await budgets[0].budgets.pause(bot, 0.5)
    assert (await budgets[1].budgets.take(bot, budget.interval, 0.0)).wait >= 1.8
