"""One send budget per bot token across instances (PostgreSQL): three processes' worth of
budgets on one database never grant more than the budget in any sliding second; crisis first;
a 429 seen by one instance holds them all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from bot.storage import Store
from bot.storage.budget import Slot
from bot.telegram.budget import Priority
from bot.telegram.shared_budget import SharedSendBudget

pytestmark = pytest.mark.postgres
BOT = 99
BUDGET = 25.0


@pytest.fixture
async def budgets(pg_url: str) -> AsyncIterator[list[SharedSendBudget]]:
    stores = [await Store.open(pg_url) for _ in range(3)]
    try:
        yield [SharedSendBudget(store, BOT, BUDGET) for store in stores]
    finally:
        for store in stores:
            await store.close()


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

    async def take(*args: Any, **kwargs: Any) -> Slot:
        slot: Slot = await store_budget.take(*args, **kwargs)
        if slot.granted:
            taken.append(slot)
            if len(taken) == 1:
                time.sleep(0.5)  # noqa: ASYNC251 - the whole process stalls, slot in hand
        return slot

    budget.budgets = SimpleNamespace(take=take, pause=store_budget.pause)
    await budget.acquire(Priority.CRISIS, 20, new_message=True)
    assert budget.dropped == 1  # the first slot passed while the process stood still
    assert len(taken) == 2 and taken[1].at > taken[0].at  # a fresh one was taken and used
