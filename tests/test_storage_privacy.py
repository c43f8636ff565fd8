"""Erasure: after /forget nothing about the person is left in any table (or SQLite file)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Connection

from bot.storage import CheckinSettings, Store
from bot.storage.schema import ANONYMOUS_TABLES, PERSONAL_TABLES, metadata

UTC = timezone.utc
PERSON = 734_912_586_011  # distinctive, so a scan for it cannot hit by chance
OTHER = 555_000_111
PLAN_WORDS = "Zebulonia"


async def _journey(store: Store, chat_id: int, words: str) -> None:
    """Everything a person can do that stores something."""
    now = datetime(2024, 9, 1, 20, tzinfo=UTC)
    await store.people.ensure(chat_id, now=now)
    await store.people.update(
        chat_id,
        role="recovery",
        country="US",
        timezone="America/Chicago",
        consent=True,
        recovery_start=date(2024, 1, 1),
    )
    await store.checkins.save(
        chat_id,
        CheckinSettings(
            frequency="daily",
            local_time=time(20),
            timezone="America/Chicago",
            next_due_at=now + timedelta(days=1),
            last_sent_at=now,
        ),
    )
    for day in range(3):
        await store.checkins.record_answer(chat_id, "okay", day, now + timedelta(days=day))
    await store.plans.save(chat_id, {"people": [f"call {words}"], "places": ["park"]})
    await store.groups.set_crisis_watch(chat_id, False)
    await store.counters.count("message")
    await store.counters.count("intent_hit", "cravings")
    await store.counters.record_feedback("cravings", True)


def _all_rows(sync_conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    # Reflect what is really in the database, not just what schema.py declares.
    reflected = MetaData()
    reflected.reflect(sync_conn)
    return {
        name: [tuple(r) for r in sync_conn.execute(select(table))]
        for name, table in reflected.tables.items()
    }


async def test_forget_leaves_nothing_about_the_person(store: Store) -> None:
    await _journey(store, PERSON, PLAN_WORDS)
    await _journey(store, OTHER, "Bob")
    async with store.engine.connect() as conn:
        before = await conn.run_sync(_all_rows)
    assert any(PERSON in row for rows in before.values() for row in rows)

    await store.forget(PERSON)

    async with store.engine.connect() as conn:
        after = await conn.run_sync(_all_rows)
    for name, rows in after.items():
        for row in rows:
            for value in row:
                assert value != PERSON, f"table {name} still holds the person's chat id"
                assert PLAN_WORDS not in str(value), f"table {name} still holds their words"
    assert await store.people.get(PERSON) is None
    assert await store.plans.get(PERSON) is None
    assert await store.checkins.get(PERSON) is None
    assert await store.checkins.answers(PERSON, datetime(2000, 1, 1, tzinfo=UTC)) == []
    assert await store.groups.crisis_watch(PERSON) is True
    # Other people and the anonymous counts are untouched.
    assert await store.people.get(OTHER) is not None
    assert await store.plans.get(OTHER) == {"people": ["call Bob"], "places": ["park"]}
    stats = await store.counters.stats()
    assert stats.messages == 2 and stats.feedback_per_intent == {"cravings": (2, 0)}


async def test_forget_on_sqlite_leaves_no_trace_in_the_files(sqlite_store: Store) -> None:
    path = sqlite_store.target.sqlite_path
    assert path is not None
    await _journey(sqlite_store, PERSON, PLAN_WORDS)
    await _journey(sqlite_store, OTHER, "Bob")

    def raw() -> bytes:
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())

    assert PLAN_WORDS.encode() in raw()
    await sqlite_store.forget(PERSON)
    assert PLAN_WORDS.encode() not in raw()


async def test_forget_of_an_unknown_person_is_harmless(store: Store) -> None:
    await store.forget(123)
    assert await store.people.get(123) is None


async def test_every_table_is_classified_personal_or_anonymous(store: Store) -> None:
    """A new table must be either erased by forget (has chat_id) or hold no person data."""
    classified = {t.name for t in PERSONAL_TABLES} | {t.name for t in ANONYMOUS_TABLES}
    assert set(metadata.tables) == classified
    for table in PERSONAL_TABLES:
        assert "chat_id" in table.c
    for table in ANONYMOUS_TABLES:
        assert "chat_id" not in table.c
    async with store.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert names == classified | {"alembic_version"}


def test_no_column_could_hold_a_message_text() -> None:
    """Only the safety plan (written by the person on purpose) is free text; besides it, a
    webhook update waits in the inbox until it is handled (then its row is deleted), and a
    flow state is long but refuses anything with a space (tests/test_flows.py)."""
    from sqlalchemy import String, Text

    free_text = [
        f"{t.name}.{c.name}"
        for t in metadata.sorted_tables
        for c in t.c
        if isinstance(c.type, Text) or (isinstance(c.type, String) and (c.type.length or 999) > 64)
    ]
    assert free_text == ["flows.state", "inbox.payload", "safety_plans.plan"]
