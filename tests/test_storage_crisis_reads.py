"""A crisis reply's reads in one statement: the person's country and role, their safety plan
and their live flow (both backends), and the conversation asks for nothing more."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.config import Settings
from bot.conversation import Chat, Conversation
from bot.decision import Context
from bot.features import safety_plan
from bot.storage import Store
from bot.storage.crisis_reads import CrisisFacts
from bot.understanding.engine import Engine

CRISIS = "i want to kill myself tonight"


async def test_nothing_stored_reads_as_no_facts(store: Store) -> None:
    assert await store.urgent.crisis.facts(5) == CrisisFacts()


async def test_country_role_plan_and_live_flow_in_one_read(store: Store) -> None:
    await store.people.ensure(6)
    await store.people.update(6, country="GB", role="family")
    await store.plans.save(6, {"warning_signs": ["I stop answering texts"]})
    await store.flows.put(6, "safety_plan", "2", ttl=timedelta(minutes=5))
    facts = await store.urgent.crisis.facts(6)
    assert (facts.country, facts.role) == ("GB", "family")
    assert facts.plan == {"warning_signs": ["I stop answering texts"]}
    assert (facts.flow_kind, facts.flow_state) == ("safety_plan", "2")


async def test_an_expired_flow_is_not_read(store: Store) -> None:
    await store.flows.put(7, "safety_plan", "2", ttl=timedelta(seconds=-1))
    assert (await store.urgent.crisis.facts(7)).flow_kind is None


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("US")


def count_statements(store: Store) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(store.db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_a_crisis_reply_to_someone_not_seen_yet_takes_one_read(
    engine: Engine, sqlite_store: Store
) -> None:
    conv = Conversation(engine, sqlite_store, Settings(default_country=None))
    safety_plan.register(conv)
    await sqlite_store.people.ensure(41)
    await sqlite_store.people.update(41, country="GB")
    await sqlite_store.plans.save(41, {"coping": ["walk my dog"]})
    statements = count_statements(sqlite_store)
    (reply,) = await conv.handle_text(Chat(41, "private", 41), CRISIS)
    assert reply.urgent
    assert len(statements) == 1, statements  # country, plan and flow together; no write
    assert "walk my dog" in reply.text
    assert not reply.buttons  # a country is known: its own lines, no country menu
    # The same reply as the country's own lines: the stored country was used.
    conv.forget_cached(41)
    other = Conversation(engine, sqlite_store, Settings(default_country="GB"))
    (same,) = await other.handle_text(Chat(41, "private", 41), CRISIS)
    assert same.text == reply.text


def test_the_check_on_arrival_agrees_with_the_answer(engine: Engine) -> None:
    """``is_crisis`` (every webhook update, as it arrives) runs the crisis check alone; it
    must say crisis exactly when answering the message would give the crisis reply."""
    from crisis_sets import adjacent, positives

    conv = Conversation(engine, None, Settings(default_country="US"))
    cases = positives("dev")[::7] + adjacent("dev")[::7]
    texts = [c.text for c in cases] + [
        "how does naloxone work",
        "what is methadone",
        "",
        "hi",
        "i want to kill myself tonight",
    ]
    assert len(texts) > 50
    for text in texts:
        wanted = engine.decide(text, Context(country="US")).kind == "crisis"
        assert conv.is_crisis(text) == wanted, text


@pytest.mark.postgres
async def test_a_crisis_read_survives_pooled_connections_that_died_idle(pg_url: str) -> None:
    """The urgent pool does not ping before each use: a connection that died while idle
    (a database restart, an idle timeout) costs the read one more try, not the reply."""
    from sqlalchemy import text

    store = await Store.open(pg_url)
    try:
        await store.urgent.crisis.facts(1)  # the urgent pool's connections are open
        async with store.db.write() as conn:  # from another pool: end every other session
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
                )
            )
        assert await store.urgent.crisis.facts(1) == CrisisFacts()
    finally:
        await store.close()
