"""Erasure that is real (SQLite files scanned while a reader holds a snapshot) and update ids
remembered in the database so every instance answers an update once."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.storage import Store
from bot.storage import erasure as erasure_module
from bot.storage import updates as updates_module

UTC = timezone.utc
PERSON = 734_912_586_011
OTHER = 555_000_111
WORDS = "call Zebulonia-Farquharson at the blue door"


def _files(path: Path) -> bytes:
    return b"".join(
        f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists()
    )


async def _with_plan(store: Store, chat_id: int, words: str) -> None:
    await store.people.ensure(chat_id)
    await store.people.update(chat_id, role="recovery", country="US")
    await store.plans.save(chat_id, {"people": [words], "places": ["the park"]})


async def test_forget_is_complete_and_verified_without_readers(sqlite_store: Store) -> None:
    path = sqlite_store.target.sqlite_path
    assert path is not None
    await _with_plan(sqlite_store, PERSON, WORDS)
    await _with_plan(sqlite_store, OTHER, "call Bob")
    assert WORDS.encode() in _files(path)
    erasure = await sqlite_store.forget(PERSON)
    assert erasure.complete
    assert WORDS.encode() not in _files(path)
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size < 64 * 1024
    assert await sqlite_store.plans.get(OTHER) == {
        "people": ["call Bob"],
        "places": ["the park"],
    }


async def test_forget_with_a_reader_open_scans_the_files_and_finishes_later(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(erasure_module, "BACKGROUND_WIPE_DELAYS", (0.05,))
    path = sqlite_store.target.sqlite_path
    assert path is not None
    await _with_plan(sqlite_store, PERSON, WORDS)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM safety_plans").fetchone() == (1,)
        erasure = await sqlite_store.forget(PERSON)
        # The rows are gone for the bot, but the reader's snapshot pins the old page.
        assert not erasure.complete
        assert await sqlite_store.plans.get(PERSON) is None
        assert WORDS.encode() in _files(path)
        assert not await sqlite_store.wipes_finished(timeout=0.3)  # still blocked
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert await sqlite_store.wipes_finished(timeout=10)
    assert WORDS.encode() not in _files(path)


async def test_a_plan_piece_shared_with_someone_else_does_not_block_erasure(
    sqlite_store: Store,
) -> None:
    await _with_plan(sqlite_store, PERSON, WORDS)
    await _with_plan(sqlite_store, OTHER, WORDS)  # the same words in another live plan
    erasure = await sqlite_store.forget(PERSON)
    assert erasure.complete
    assert await sqlite_store.plans.get(OTHER) is not None


async def test_closing_the_store_finishes_a_pending_wipe(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url)
    path = store.target.sqlite_path
    assert path is not None
    await _with_plan(store, PERSON, WORDS)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM safety_plans").fetchone()
    erasure = await store.forget(PERSON)
    assert not erasure.complete
    reader.execute("COMMIT")
    reader.close()
    await store.close()  # cancels the background task, then one last checkpoint
    reopened = await Store.open(sqlite_url)  # opening checkpoints too
    await reopened.close()
    assert WORDS.encode() not in _files(path)


async def test_forget_on_every_backend_reports_complete(store: Store) -> None:
    await _with_plan(store, PERSON, WORDS)
    assert (await store.forget(PERSON)).complete
    assert (await store.forget(PERSON)).complete  # nothing left: still fine


async def test_an_update_is_claimed_once_across_instances(database_url: str) -> None:
    first = await Store.open(database_url)
    second = await Store.open(database_url)
    try:
        assert await first.updates.claim(1, 900)
        assert not await second.updates.claim(1, 900)
        assert not await first.updates.claim(1, 900)
        assert await second.updates.claim(2, 900)  # another bot (token) has its own ids
        assert await second.updates.claim(1, 901)
    finally:
        await first.close()
        await second.close()


async def test_old_update_ids_are_forgotten(store: Store) -> None:
    long_ago = datetime.now(UTC) - updates_module.UPDATE_MEMORY - timedelta(hours=1)
    assert await store.updates.claim(1, 5, now=long_ago)
    store.updates.next_prune = 0.0  # prune on the next claim
    assert await store.updates.claim(1, 6)
    assert await store.updates.claim(1, 5)  # pruned: ids this old cannot come back
