"""Shared fixtures. Storage: ``database_url`` runs a test on SQLite and PostgreSQL.

PostgreSQL comes from a throwaway server (one per session, a fresh database per test).
Without a server the PostgreSQL cases skip with the reason; with REQUIRE_POSTGRES=1 (CI)
they fail instead, so a broken CI image cannot pass silently. Redis (the send budget's other
home, ``REDIS_URL``) likewise: a throwaway ``redis-server`` per session, emptied for each test,
skipped without the binary unless REQUIRE_REDIS=1.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from fake_bot_api import FakeBotApi, start_fake_api

from bot.storage import Store
from bot.storage.pgserver import PgServer, PgServerError
from bot.storage.redisserver import RedisServer, RedisServerError
from bot.understanding.engine import Engine, default_engine


def _required(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped engine (catalog, crisis check, classifiers), loaded once per session."""
    return default_engine()


Server = TypeVar("Server", PgServer, RedisServer)


def _started(
    start: Callable[[], Server], error: type[Exception], name: str
) -> Iterator[Server | str]:
    """A throwaway server for the session, or why it could not start. Tried once per session:
    a failure is remembered, not retried for every test."""
    try:
        server = start()
    except error as exc:
        yield f"{name} test server could not start: {exc}"
        return
    try:
        yield server
    finally:
        server.stop()


def _server_or_skip(found: Server | str, flag: str) -> Server:
    """The server, or skip the test (fail it when ``flag`` is set, as in CI)."""
    if isinstance(found, str):
        if _required(flag):
            pytest.fail(f"{found} ({flag}=1)", pytrace=False)
        pytest.skip(f"{found}; set {flag}=1 to make this an error")
    return found


@pytest.fixture(scope="session")
def _pg_server_or_error() -> Iterator[PgServer | str]:
    yield from _started(lambda: PgServer().start(), PgServerError, "PostgreSQL")


@pytest.fixture(scope="session")
def pg_server(_pg_server_or_error: PgServer | str) -> PgServer:
    """The session's throwaway PostgreSQL server (skips, or fails under REQUIRE_POSTGRES=1)."""
    return _server_or_skip(_pg_server_or_error, "REQUIRE_POSTGRES")


@pytest.fixture(scope="session")
def _redis_server_or_error() -> Iterator[RedisServer | str]:
    yield from _started(lambda: RedisServer().start(), RedisServerError, "Redis")


@pytest.fixture(scope="session")
def redis_server(_redis_server_or_error: RedisServer | str) -> RedisServer:
    """The session's throwaway Redis server (skips, or fails under REQUIRE_REDIS=1)."""
    return _server_or_skip(_redis_server_or_error, "REQUIRE_REDIS")


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis server, emptied: nothing left by an earlier test."""
    import redis

    client = redis.Redis.from_url(redis_server.url())
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'recovery-bot.db'}"


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty database on the session server."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend in turn."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """An opened, migrated Store on ``database_url``; closed afterwards."""
    s = await Store.open(database_url)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    """An opened Store on a temporary SQLite file, for tests that need only one backend."""
    s = await Store.open(sqlite_url)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The in-repo fake Bot API server on a free localhost port (tests/fake_bot_api.py)."""
    fake, runner = await start_fake_api()
    try:
        yield fake
    finally:
        await fake.close()
        await runner.cleanup()
