"""One engine and one transaction helper, shared by every repository (SQLite or PostgreSQL).

``Database`` is what repositories receive: ``write()`` (one transaction; on SQLite it takes
the write lock up front), ``read()``, ``insert(table)`` (the dialect's INSERT with ON CONFLICT)
and ``errors()`` (driver errors become :class:`StorageError` with a clear message, never with
the statement's parameters).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.storage import migrate
from bot.storage.errors import StorageError
from bot.storage.urls import DatabaseTarget, resolve_database_url

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every instance that migrates.
_MIGRATION_LOCK_KEY = 0x7265636F76  # "recov"


class _Unset(enum.Enum):
    UNSET = 0


UNSET = _Unset.UNSET


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _describe_driver_error(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


def _translate(exc: BaseException, target: DatabaseTarget, busy_timeout: float) -> StorageError:
    """A clear message from a driver error. Parameters (which may hold a plan) never appear."""
    detail = _describe_driver_error(exc)
    low = detail.lower()
    where = target.describe()
    if "locked" in low or "sqlite_busy" in low:
        return StorageError(
            f"{where} is locked by another process (waited {busy_timeout:g}s); "
            "is another recovery-bot writing to it, or a tool holding it open?"
        )
    if "readonly" in low or "read-only" in low:
        return StorageError(f"{where} is read-only; check the permissions of the file and folder")
    if "unable to open" in low:
        return StorageError(f"cannot open {where}; check the path and folder permissions")
    if "not a database" in low or "malformed" in low:
        return StorageError(f"{where} is not a recovery-bot database or is damaged ({detail})")
    if isinstance(exc, OSError) or "connect" in low:
        return StorageError(f"cannot connect to {where}: {detail}")
    return StorageError(f"database error on {where}: {detail}")


def _build_engine(target: DatabaseTarget, busy_timeout: float) -> AsyncEngine:
    if target.backend == "postgresql":
        # hide_parameters: driver errors must never echo a safety plan into a log.
        # Handlers, check-in sends and the inbox each take a connection for a moment; a larger
        # pool keeps a burst from queueing for one (PostgreSQL's default allows 100). With the
        # coordination and urgent pools: 24 connections per instance at most.
        return create_async_engine(
            target.url, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=6
        )
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout}}
    if target.sqlite_path is None:
        kwargs["poolclass"] = StaticPool  # one shared in-memory database
    engine = create_async_engine(target.url, hide_parameters=True, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over BEGIN from the sqlite3 module, which otherwise delays it past reads.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe in WAL; no fsync per commit
        # Erased rows are overwritten on disk, not just unlinked (see Store.forget).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so a writer waits (busy_timeout) instead
        # of failing when another process committed between its read and its write.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "NONE":  # NONE: a single-statement read, atomic by itself
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@asynccontextmanager
async def _file_lock(path: Path, timeout: float) -> AsyncIterator[None]:
    """An exclusive advisory lock on ``path`` (POSIX), waited for without blocking the loop."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        handle = path.open("a")
    except OSError:  # a read-only folder: opening the database will say so more clearly
        yield
        return
    with handle:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if asyncio.get_running_loop().time() > deadline:
                    raise StorageError(
                        f"SQLite file {path.with_suffix('')} is being opened by another "
                        f"process (waited {timeout:g}s)"
                    ) from None
                await asyncio.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_sqlite_file(target: DatabaseTarget) -> None:
    path = target.sqlite_path
    if path is None:
        return
    if path.is_dir():
        raise StorageError(f"the database path {path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the folder {path.parent} for the database: {exc.strerror}"
        ) from None
    # SQLite opens a non-writable file read-only without complaint; say so at start-up instead.
    if path.exists() and not os.access(path, os.W_OK):
        raise StorageError(f"SQLite file {path} is read-only; check its permissions")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StorageError(
            f"the folder {path.parent} is not writable; SQLite needs it for its journal files"
        )


async def _create_pg_database(target: DatabaseTarget) -> None:
    name = target.url.database
    if not name:
        raise StorageError("DATABASE_URL names no database")
    for maintenance_db in ("postgres", "template1"):
        admin = create_async_engine(
            target.url.set(database=maintenance_db), isolation_level="AUTOCOMMIT"
        )
        try:
            async with admin.connect() as conn:
                quoted = conn.dialect.identifier_preparer.quote(name)
                await conn.execute(text(f"CREATE DATABASE {quoted}"))
            log.info("created PostgreSQL database %s", name)
            return
        except DBAPIError as exc:
            if "already exists" in str(exc.orig):
                return
            last = exc
        finally:
            await admin.dispose()
    raise StorageError(
        f"database {name!r} does not exist and cannot be created "
        f"({_describe_driver_error(last)}); create it or fix DATABASE_URL"
    )


def _is_missing_database(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "3D000" or getattr(orig, "pgcode", None) == "3D000":
        return True
    return "does not exist" in str(orig) and "database" in str(orig)


async def migrate_engine(
    engine: AsyncEngine, target: DatabaseTarget, revision: str = "head"
) -> None:
    """Upgrade the schema under a lock so concurrent starts migrate exactly once."""
    async with engine.connect() as conn:
        if target.backend == "sqlite":
            await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            if target.backend == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                )
            await conn.run_sync(migrate.upgrade, revision)


async def open_engine(
    database_url: str, *, busy_timeout: float = 5.0, revision: str | None = "head"
) -> tuple[AsyncEngine, DatabaseTarget]:
    """Create folders/database, build the engine, migrate to ``revision`` (None: don't)."""
    target = resolve_database_url(database_url)
    _prepare_sqlite_file(target)
    engine = _build_engine(target, busy_timeout)
    try:
        if revision is not None and target.sqlite_path is not None:
            # Two processes creating the same new file race on switching it to WAL while the
            # other migrates; a lock file makes first opens take turns (later opens are quick).
            lock = target.sqlite_path.with_name(target.sqlite_path.name + ".lock")
            async with _file_lock(lock, busy_timeout):
                await migrate_engine(engine, target, revision)
        elif revision is not None:
            try:
                await migrate_engine(engine, target, revision)
            except DBAPIError as exc:
                if target.backend != "postgresql" or not _is_missing_database(exc):
                    raise
                await engine.dispose()
                await _create_pg_database(target)
                engine = _build_engine(target, busy_timeout)
                await migrate_engine(engine, target, revision)
    except StorageError:
        await engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise _translate(exc, target, busy_timeout) from None
    return engine, target


def coordination_engine(target: DatabaseTarget) -> AsyncEngine:
    """A small pool of its own (PostgreSQL) for what instances coordinate through: send slots,
    inbox and check-in leases. A burst that takes every pooled connection for handlers must not
    make a lease lapse or a send wait for a connection."""
    return create_async_engine(
        target.url, hide_parameters=True, pool_pre_ping=True, pool_size=2, max_overflow=2
    )


def urgent_engine(target: DatabaseTarget) -> AsyncEngine:
    """Another small pool (PostgreSQL), for crisis messages alone: storing one, the reads its
    reply needs, its send slot. Nothing else uses it, so a crisis reply never waits for a
    connection behind ordinary messages, lease renewals or check-ins polling for slots.
    Three connections stay open (a crisis reply's three reads run at once), opened at start
    (:meth:`Database.warm`): connecting in the middle of a burst takes long.

    No ping before each use (a round trip, in a burst a long one, for every read and slot of a
    crisis reply): a connection found dead is dropped with every older one, and the crisis
    read tries once more (:class:`bot.storage.crisis_reads.CrisisReads`); a send slot is
    asked for again anyway, and a crisis update that could not be stored gets Telegram a 503
    (its reply goes out regardless)."""
    return create_async_engine(
        target.url, hide_parameters=True, pool_pre_ping=False, pool_size=3, max_overflow=1
    )


def check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes given to storage must be timezone-aware (UTC)")


class Database:
    """The engine every repository shares, and the one way to open a transaction."""

    def __init__(self, engine: AsyncEngine, target: DatabaseTarget, busy_timeout: float) -> None:
        self.engine = engine
        self.target = target
        self.busy_timeout = busy_timeout
        self.pg = target.backend == "postgresql"

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            raise _translate(exc, self.target, self.busy_timeout) from None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite: a writer waits, never fails)."""
        with self.errors():
            async with self.engine.connect() as conn:
                if not self.pg:
                    await conn.execution_options(sqlite_begin="IMMEDIATE")
                async with conn.begin():
                    yield conn

    @asynccontextmanager
    async def single(self) -> AsyncIterator[AsyncConnection]:
        """One statement that is a transaction by itself. PostgreSQL: autocommit, so no
        BEGIN and COMMIT round trips around it (a crisis reply's read and send slot, where
        each round trip counts); SQLite: a write transaction."""
        if not self.pg:
            async with self.write() as conn:
                yield conn
            return
        with self.errors():
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn

    @asynccontextmanager
    async def read(
        self, *, snapshot: bool = False, single: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A read; ``snapshot`` keeps several statements consistent with each other.

        ``single``: one statement (PostgreSQL: autocommit, no BEGIN and ROLLBACK round trips).
        """
        with self.errors():
            async with self.engine.connect() as conn:
                if not self.pg and not snapshot:
                    await conn.execution_options(sqlite_begin="NONE")
                elif self.pg and single and not snapshot:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_update``/``do_nothing``."""
        return pg_insert(table) if self.pg else sqlite_insert(table)

    async def warm(self, connections: int) -> None:
        """Open ``connections`` pooled connections now, not when the first need comes."""

        async def one() -> None:
            async with self.read() as conn:
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(0.01)  # held together, so each is a connection of its own

        await asyncio.gather(*(one() for _ in range(connections)))
