"""Webhook mode: a crisis message is handled at once, whatever else is waiting.

Ordinary updates take turns to do their work (``OrdinaryGate``); a crisis update, recognised as
it arrives, never waits for a turn, nor for an earlier update of its chat, nor for being stored.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from telegram import Update

from bot.storage import Store
from bot.telegram.handlers import UpdateClaims
from bot.telegram.inbox import ORDINARY_AT_ONCE, InboxWorker, OrdinaryGate

CRISIS = "i want to end it all tonight"
BOT = 5


def update(update_id: int, chat_id: int, text: str) -> tuple[Update, bytes]:
    data: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "text": text,
        },
    }
    return Update.de_json(data, None), json.dumps(data).encode()


class FakeApplication:
    """What the worker uses of PTB's Application; handlers hold an ordinary turn until
    ``release`` is set, as a burst of slow ordinary messages would."""

    def __init__(self) -> None:
        self.bot = SimpleNamespace(id=BOT)
        counters = SimpleNamespace(add=self._count)
        conversation = SimpleNamespace(is_crisis=lambda text: text == CRISIS, counters=counters)
        self.bot_data: dict[str, Any] = {"services": SimpleNamespace(conversation=conversation)}
        self.handled: list[int] = []
        self.release = asyncio.Event()

    async def _count(self, *args: Any) -> None:
        return None

    async def process_update(self, update: Update) -> None:
        async with self.bot_data["ordinary_gate"].turn(update.update_id):
            message = update.effective_message
            if message is not None and message.text != CRISIS:
                await self.release.wait()
            self.handled.append(update.update_id)


async def wait_until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_crisis_update_is_handled_ahead_of_a_saturated_queue(store: Store) -> None:
    app = FakeApplication()
    worker = InboxWorker(app, store, UpdateClaims(store, BOT))  # type: ignore[arg-type]
    # More ordinary updates than turns, all stuck; one of them from the person in crisis.
    for i in range(ORDINARY_AT_ONCE * 3):
        assert await worker.accept(*update(100 + i, 9000 + i, "what is methadone"))
    assert await worker.accept(*update(200, 9000, "how long does withdrawal last"))
    crisis = update(300, 9000, CRISIS)
    assert await worker.accept(*crisis)
    await wait_until(lambda: 300 in app.handled)
    assert app.handled == [300]  # nothing ordinary got through first
    app.release.set()
    await wait_until(lambda: len(app.handled) == ORDINARY_AT_ONCE * 3 + 1)
    await worker.stop()
    # Its row is gone once handled; the chat's earlier one waits for its turn as before.
    assert not await store.inbox.accept(BOT, 300, "{}", chat_id=9000, lease=worker.lease)


async def test_ordinary_work_waits_while_a_crisis_reply_is_on_its_way() -> None:
    gate = OrdinaryGate(hold=30.0)
    gate.begin_urgent(1)
    started: list[int] = []

    async def ordinary() -> None:
        async with gate.turn(2):
            started.append(2)

    task = asyncio.create_task(ordinary())
    async with gate.turn(1):  # the crisis update itself never waits
        started.append(1)
    await asyncio.sleep(0.05)
    assert started == [1]  # the ordinary one has not started its work
    gate.end(1)  # the crisis reply was sent
    await asyncio.wait_for(task, 5.0)
    assert started == [1, 2]


async def test_a_crisis_reply_stuck_in_a_flood_wait_holds_ordinary_work_only_briefly() -> None:
    gate = OrdinaryGate(hold=0.05)
    gate.begin_urgent(1)  # never ends
    async with asyncio.timeout(5.0):
        async with gate.turn(2):
            pass
