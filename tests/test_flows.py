"""Conversation state in storage: any instance continues any flow (issue #16).

Two Conversations on one database stand for two instances behind a load balancer; the person's
messages alternate between them on every step, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta, timezone
from itertools import cycle
from typing import Any

import pytest

from bot.config import Settings
from bot.conversation import Chat, Conversation, Reply, load_features
from bot.storage import Store
from bot.understanding.engine import Engine

ME = Chat(5151, "private", 5151)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("US")


def instance(engine: Engine, store: Store) -> Conversation:
    conversation = Conversation(engine, store, Settings(default_country="US"))
    load_features(conversation)
    return conversation


@pytest.fixture
async def pair(engine: Engine, database_url: str) -> AsyncIterator[tuple[Conversation, ...]]:
    """Two instances, each with its own connection pool, on the same database."""
    first, second = await Store.open(database_url), await Store.open(database_url)
    try:
        yield instance(engine, first), instance(engine, second)
    finally:
        await first.close()
        await second.close()


def acts(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.all_buttons()]


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_a_whole_safety_plan_hopping_instances_on_every_message(
    pair: tuple[Conversation, ...],
) -> None:
    hop = cycle(pair)
    await next(hop).handle_command(ME, "safetyplan")
    first = await next(hop).handle_action(ME, "v1:sp:start")
    assert "Step 1 of 6" in text(first)
    answers = [
        "I stop answering texts",
        "go for a walk",
        None,  # skipped with the button
        "my sponsor Ana, 555 0100",
        "the clinic",
        "naloxone at home",
    ]
    for number, answer in enumerate(answers, 1):
        conv = next(hop)
        if answer is None:
            replies = await conv.handle_action(ME, "v1:sp:skip")
        else:
            replies = await conv.handle_text(ME, answer)
        if number < len(answers):
            assert f"Step {number + 1} of 6" in text(replies), (number, text(replies))
    assert "Your safety plan is saved" in text(replies)
    assert "my sponsor Ana, 555 0100" in text(replies)
    plan = await pair[0].store.plans.get(ME.id)
    assert plan == {
        "warning_signs": ["I stop answering texts"],
        "coping": ["go for a walk"],
        "helpers": ["my sponsor Ana, 555 0100"],
        "professionals": ["the clinic"],
        "safe_environment": ["naloxone at home"],
    }
    # The flow is over on both instances: a question is answered again.
    after = await next(hop).handle_text(ME, "what is naloxone")
    assert "Step" not in text(after)
    assert await pair[1].store.flows.get(ME.id) is None


async def test_a_checkin_set_up_with_typed_time_and_zone_hopping_instances(
    pair: tuple[Conversation, ...],
) -> None:
    a, b = pair
    await a.handle_command(ME, "checkin")
    await b.handle_action(ME, "v1:ci:f:weekly")
    await a.handle_action(ME, "v1:ci:w:4")
    kind = await b.handle_text(ME, "around lunch")  # not a time: asked again, kindly
    assert "lunch" not in text(kind) and "v1:ci:t:weekly:4:1200" in acts(kind)
    zones = await a.handle_text(ME, "7:45 pm")
    assert any(x.startswith("v1:ci:z:weekly:4:1945:") for x in acts(zones))
    saved = await b.handle_text(ME, "europe/berlin")
    assert "at 19:45 (Europe/Berlin)" in text(saved)
    settings = await a.store.checkins.get(ME.id)
    assert settings is not None
    assert (settings.frequency, settings.weekday, settings.local_time, settings.timezone) == (
        "weekly",
        4,
        time(19, 45),
        "Europe/Berlin",
    )


async def test_the_stored_state_holds_ids_never_what_was_typed(
    pair: tuple[Conversation, ...],
) -> None:
    a, b = pair
    await a.handle_action(ME, "v1:sp:start")
    await b.handle_text(ME, "zebra-words I stop answering texts")
    found = await a.store.flows.get(ME.id)
    assert found is not None and (found.kind, found.state) == ("sp", "1")
    with pytest.raises(ValueError):
        await a.store.flows.put(ME.id, "sp", "I feel awful", ttl=timedelta(hours=1))


async def test_forget_erases_the_flow_and_a_command_ends_it(
    pair: tuple[Conversation, ...],
) -> None:
    a, b = pair
    await a.handle_command(ME, "checkin")
    await a.handle_action(ME, "v1:ci:f:daily")
    assert await b.store.flows.get(ME.id) is not None
    await b.handle_command(ME, "help")  # any command leaves the flow
    assert await a.store.flows.get(ME.id) is None
    await a.handle_action(ME, "v1:sp:start")
    assert await b.store.flows.get(ME.id) is not None
    await b.handle_action(ME, "v1:fg:yes")
    assert await a.store.flows.get(ME.id) is None
    # The next text is a question again, not step 1 of a plan.
    replies = await a.handle_text(ME, "what is methadone")
    assert "Step" not in text(replies)
    assert await a.store.plans.get(ME.id) is None


async def test_a_flow_lapses_after_its_expiry(pair: tuple[Conversation, ...]) -> None:
    a, _ = pair
    store = a.store
    past = datetime.now(timezone.utc) - timedelta(hours=3)
    await store.flows.put(ME.id, "ci.time", "daily:-", ttl=timedelta(hours=2), now=past)
    assert await store.flows.get(ME.id) is None
    replies = await a.handle_text(ME, "9:30")
    assert not any(x.startswith("v1:ci:z:") for x in acts(replies))  # no zone question
    assert await store.checkins.get(ME.id) is None


async def test_a_crisis_message_is_answered_before_any_database_write(
    engine: Engine, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst holds the database's write lock; the crisis reply must not wait for it."""
    conv = instance(engine, sqlite_store)
    released = asyncio.Event()
    writes: list[str] = []
    real_write = sqlite_store.db.write

    def hanging_write() -> Any:
        writes.append("write")

        class _Hang:
            async def __aenter__(self) -> Any:
                await released.wait()
                self._cm = real_write()
                return await self._cm.__aenter__()

            async def __aexit__(self, *exc: Any) -> Any:
                return await self._cm.__aexit__(*exc)

        return _Hang()

    monkeypatch.setattr(sqlite_store.db, "write", hanging_write)
    person = Chat(777001, "private", 777001)  # never seen before: nothing cached
    replies = await asyncio.wait_for(
        conv.handle_text(person, "i took too many pills and cant breathe"), timeout=5
    )
    assert replies and replies[0].urgent
    # An ordinary question from the same person does wait for its writes (the person's row).
    question = asyncio.create_task(conv.handle_text(person, "what is methadone"))
    await asyncio.sleep(0.3)
    assert not question.done() and writes
    released.set()
    assert (await asyncio.wait_for(question, timeout=5))[0].text


async def test_sources_of_the_last_answer_on_another_instance(
    pair: tuple[Conversation, ...],
) -> None:
    a, b = pair
    await a.handle_text(ME, "how does naloxone work")
    (sources,) = await b.handle_command(ME, "sources")
    assert sources.text.startswith("Sources of") and "naloxone" in sources.text.lower()
    await a.handle_action(ME, "v1:fg:yes")
    (none,) = await b.handle_command(ME, "sources")
    assert not none.text.startswith("Sources of")  # /forget erased it too
