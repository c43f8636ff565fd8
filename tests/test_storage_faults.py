"""Bad input and faults: missing, read-only, locked, old or newer schema, damaged rows."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage import CorruptRowError, StorageError, Store
from bot.storage.migrate import current_revision, head_revision
from bot.storage.store import open_engine


async def test_missing_folders_and_file_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "bot.db"
    store = await Store.open(f"sqlite:///{path}")
    await store.people.ensure(1)
    await store.close()
    assert path.exists()


async def test_relative_sqlite_path_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await Store.open("sqlite:///rel/bot.db")
    await store.close()
    assert (tmp_path / "rel" / "bot.db").exists()


async def test_missing_postgres_database_is_created(pg_server: object) -> None:
    from bot.storage.pgserver import PgServer

    assert isinstance(pg_server, PgServer)
    store = await Store.open(pg_server.url("never_made_before"))
    await store.people.ensure(1)
    await store.close()


async def test_unreachable_postgres_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(StorageError, match="cannot connect to PostgreSQL") as info:
        await Store.open(f"postgresql://bot:s3cret@127.0.0.1:{port}/bot")
    assert "s3cret" not in str(info.value)


async def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StorageError, match="not a recovery-bot database or is damaged"):
        await Store.open(f"sqlite:///{path}")
    assert path.read_bytes() == before


async def test_a_folder_given_as_the_database_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        await Store.open(f"sqlite:///{tmp_path}")


# -- read-only -------------------------------------------------------------------------------

# Root ignores file permissions, so as root the check runs in a child that drops to "nobody"
# after importing everything it needs.
_READONLY_CHILD = """
import asyncio, os, sys
from bot.storage import Store, StorageError
async def main(url, uid):
    warm = await Store.open("sqlite://")
    await warm.people.ensure(1)
    await warm.close()
    if uid >= 0:
        os.setgid(uid); os.setuid(uid)
    try:
        store = await Store.open(url)
        await store.people.ensure(2)
        await store.close()
    except StorageError as exc:
        print("StorageError:", exc)
        return
    print("opened")
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _open_as_unprivileged(url: str) -> str:
    uid = 65534 if os.geteuid() == 0 else -1  # nobody
    out = subprocess.run(
        [sys.executable, "-c", _READONLY_CHILD, url, str(uid)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


async def _make_db(url: str) -> None:
    store = await Store.open(url)
    await store.people.ensure(1)
    await store.close()


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_database_is_a_clear_error(what: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="recovery-bot-ro-"))
    try:
        os.chmod(folder, 0o755)  # so "nobody" can reach it
        path = folder / "bot.db"
        asyncio.run(_make_db(f"sqlite:///{path}"))
        path.chmod(0o444)
        if what == "folder":
            folder.chmod(0o555)
        message = _open_as_unprivileged(f"sqlite:///{path}")
        assert message.startswith("StorageError:"), message
        assert "read-only" in message or "not writable" in message
    finally:
        folder.chmod(0o755)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


# -- locked ----------------------------------------------------------------------------------


async def test_locked_database_waits_then_says_so(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url, busy_timeout=0.3)
    path = store.target.sqlite_path
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(StorageError, match="locked by another process"):
            await store.counters.count("message")
        assert time.monotonic() - started >= 0.25  # it waited the busy timeout first
        with pytest.raises(StorageError, match="locked"):
            await Store.open(sqlite_url, busy_timeout=0.2)
        other.execute("ROLLBACK")
        await store.counters.count("message")  # and recovers once the lock is gone
        assert (await store.counters.stats()).messages == 1
    finally:
        other.close()
        await store.close()


async def test_a_short_lock_is_waited_out(sqlite_url: str) -> None:
    store = await Store.open(sqlite_url, busy_timeout=5)
    path = store.target.sqlite_path
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    await store.counters.count("message")
    other.close()
    assert (await store.counters.stats()).messages == 1
    await store.close()


# -- schema versions -------------------------------------------------------------------------


async def test_older_schema_is_migrated_at_open_keeping_the_data(database_url: str) -> None:
    engine, _target = await open_engine(database_url, revision="0001")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (chat_id, role, consent, active, created_on, last_seen) "
                "VALUES (77, 'family', false, true, '2024-01-02', '2024-01-03')"
            )
        )
        await conn.execute(
            text("INSERT INTO counters (day, name, key, n) VALUES ('2024-01-03', 'message', '', 5)")
        )
        assert await conn.run_sync(current_revision) == "0001"
    await engine.dispose()

    store = await Store.open(database_url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head_revision()
        user = await store.people.get(77)
        assert user is not None and user.role == "family"
        assert (await store.counters.stats()).messages == 5
        await store.groups.set_crisis_watch(-5, False)  # a table added by a later version
        await store.counters.record_feedback("tolerance", True)
    finally:
        await store.close()


async def test_newer_schema_than_the_code_is_refused(database_url: str) -> None:
    store = await Store.open(database_url)
    await store.people.ensure(5)
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await store.close()
    with pytest.raises(StorageError, match="newer than this recovery-bot"):
        await Store.open(database_url)


async def test_reopening_is_a_no_op(database_url: str) -> None:
    for _ in range(3):
        store = await Store.open(database_url)
        await store.people.ensure(1)
        await store.close()
    store = await Store.open(database_url)
    assert (await store.counters.stats()).users == 1
    await store.close()


# -- damaged rows ----------------------------------------------------------------------------


async def test_malformed_safety_plan_is_reported_not_crashed_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await store.plans.save(1, {"people": ["x"]})
    secret = '{"people": ["my private words'
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE safety_plans SET plan = :p"), {"p": secret})
    with caplog.at_level(logging.WARNING), pytest.raises(CorruptRowError):
        await store.plans.get(1)
    assert "unreadable" in caplog.text
    assert "private words" not in caplog.text
    await store.plans.save(1, {"people": ["y"]})  # writing a new plan repairs it
    assert await store.plans.get(1) == {"people": ["y"]}


async def test_wrongly_shaped_plan_json_is_reported(store: Store) -> None:
    await store.plans.save(1, {"people": ["x"]})
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE safety_plans SET plan = :p"), {"p": json.dumps([1, 2])})
    with pytest.raises(CorruptRowError):
        await store.plans.get(1)


async def test_unknown_role_or_timezone_read_as_unset(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await store.people.update(1, role="family", timezone="Europe/Paris", country="FR")
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'wizard', timezone = 'Moon/Base'"))
    with caplog.at_level(logging.WARNING):
        user = await store.people.get(1)
    assert user is not None
    assert (user.role, user.timezone, user.country) == (None, None, "FR")
    assert "unknown role" in caplog.text
    assert "wizard" not in caplog.text


async def test_invalid_checkin_row_is_reported(store: Store) -> None:
    from bot.storage import CheckinSettings

    await store.checkins.save(1, CheckinSettings())
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE checkins SET frequency = 'hourly'"))
    with pytest.raises(CorruptRowError, match="frequency"):
        await store.checkins.get(1)
