"""The one storage code path for SQLite and PostgreSQL (SQLAlchemy 2 async Core)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, and_, delete, event, func, select, text, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.storage import migrate
from bot.storage.errors import CorruptRowError, StorageError
from bot.storage.models import (
    FREQUENCIES,
    ROLES,
    CheckinAnswer,
    CheckinSettings,
    Erasure,
    Stats,
    User,
)
from bot.storage.schema import (
    PERSONAL_TABLES,
    checkin_answers,
    checkins,
    counters,
    feedback,
    group_settings,
    processed_updates,
    safety_plans,
    users,
)
from bot.storage.urls import DatabaseTarget, resolve_database_url

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every instance that migrates.
_MIGRATION_LOCK_KEY = 0x7265636F76  # "recov"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Counter keys are ids (intent id, crisis kind, country); the pattern keeps prose out.
_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
_MOOD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_MAX_PLAN_BYTES = 16_000

UPDATE_MEMORY = timedelta(days=2)
"""How long a processed update id is remembered (Telegram gives up on an update after 24 h)."""
_PRUNE_EVERY = 3600.0

# Erasure on SQLite (see Store.forget and docs/STORAGE.md).
WIPE_TRIES = 3
"""Checkpoint-and-verify attempts before /forget answers ("erased; finishing in a minute")."""
WIPE_PAUSE = 0.2
"""Seconds between those attempts (doubling)."""
WIPE_BUSY_MS = 250
"""How long one checkpoint waits for a reader before reporting busy."""
BACKGROUND_WIPE_DELAYS = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0)
"""Waits between background attempts; the last one repeats until the wipe is verified."""
WIPE_WARN_AFTER = 60.0
_WINDOW = 32
_STRIDE = 16
_SCAN_CHUNK = 4 << 20


class _Unset(enum.Enum):
    UNSET = 0


UNSET = _Unset.UNSET


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _valid_timezone(name: str) -> bool:
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
        return create_async_engine(target.url, hide_parameters=True, pool_pre_ping=True)
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


class Store:
    """Async storage API. Build with :meth:`open`; every method is one transaction."""

    def __init__(self, engine: AsyncEngine, target: DatabaseTarget, busy_timeout: float) -> None:
        self.engine = engine
        self.target = target
        self._busy_timeout = busy_timeout
        self._pg = target.backend == "postgresql"
        self._next_prune = 0.0
        self._wipes: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, database_url: str, *, busy_timeout: float = 5.0) -> Store:
        """Open (creating the file, folder or PostgreSQL database) and migrate to the latest."""
        engine, target = await open_engine(database_url, busy_timeout=busy_timeout)
        store = cls(engine, target, busy_timeout)
        if target.sqlite_path is not None:
            # Finish what a previous process may have left: old page copies in the WAL.
            with contextlib.suppress(StorageError):
                await store._checkpoint()
        return store

    async def close(self) -> None:
        """Stop background wipes (one last checkpoint tries to finish them), then disconnect."""
        pending = [task for task in self._wipes if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            with contextlib.suppress(StorageError):
                await self._checkpoint()
        await self.engine.dispose()

    @property
    def backend(self) -> str:
        return self.target.backend

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            raise _translate(exc, self.target, self._busy_timeout) from None

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        with self._errors():
            async with self.engine.connect() as conn:
                if not self._pg:
                    await conn.execution_options(sqlite_begin="IMMEDIATE")
                async with conn.begin():
                    yield conn

    @asynccontextmanager
    async def _read(self, *, snapshot: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read; ``snapshot`` keeps several statements consistent with each other."""
        with self._errors():
            async with self.engine.connect() as conn:
                if not self._pg and not snapshot:
                    await conn.execution_options(sqlite_begin="NONE")
                yield conn

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A write transaction for other modules' own queries (e.g. check-in claims).

        Use this, not ``engine.begin()``: on SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), and driver errors become StorageError with a clear message.
        """
        return self._write()

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_update``/``do_nothing``."""
        return self._insert(table)

    def _insert(self, table: Table) -> Any:
        """INSERT with ON CONFLICT support; both dialects share the same builder API."""
        return pg_insert(table) if self._pg else sqlite_insert(table)

    # -- users ------------------------------------------------------------------------------

    @staticmethod
    def _user(row: Row[Any]) -> User:
        m = row._mapping
        role = m["role"]
        if role is not None and role not in ROLES:
            log.warning("user row has an unknown role; treating it as unset")
            role = None
        tz = m["timezone"]
        if tz is not None and not _valid_timezone(tz):
            log.warning("user row has an unknown time zone; treating it as unset")
            tz = None
        return User(
            chat_id=m["chat_id"],
            role=role,
            country=m["country"],
            timezone=tz,
            consent=bool(m["consent"]),
            consent_at=m["consent_at"],
            recovery_start=m["recovery_start"],
            active=bool(m["active"]),
            created_on=m["created_on"],
            last_seen=m["last_seen"],
        )

    async def get_user(self, chat_id: int) -> User | None:
        async with self._read() as conn:
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).first()
        return None if row is None else self._user(row)

    async def _ensure(self, conn: AsyncConnection, chat_id: int, today: date) -> User:
        stmt = self._insert(users).values(
            chat_id=chat_id, created_on=today, last_seen=today, consent=False, active=True
        )
        # A message from a person who was deactivated (blocked the bot) means they are back.
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.chat_id],
            set_={"last_seen": stmt.excluded.last_seen, "active": True},
        ).returning(*users.c)
        row = (await conn.execute(stmt)).one()
        return self._user(row)

    async def ensure_user(self, chat_id: int, now: datetime | None = None) -> User:
        """Create the person's row if missing and mark them seen today (UTC date)."""
        today = (now or _utcnow()).astimezone(timezone.utc).date()
        async with self._write() as conn:
            return await self._ensure(conn, chat_id, today)

    async def update_user(
        self,
        chat_id: int,
        *,
        role: str | _Unset | None = UNSET,
        country: str | _Unset | None = UNSET,
        timezone: str | _Unset | None = UNSET,
        consent: bool | _Unset = UNSET,
        recovery_start: date | _Unset | None = UNSET,
        active: bool | _Unset = UNSET,
    ) -> User:
        """Change only the fields given (creating the person if needed); validates values."""
        values: dict[str, Any] = {}
        if role is not UNSET:
            if role is not None and role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}")
            values["role"] = role
        if country is not UNSET:
            if country is not None:
                country = country.strip().upper()
                if not re.fullmatch(r"[A-Z]{2}", country):
                    raise ValueError("country must be a two-letter ISO code such as US or GB")
            values["country"] = country
        if timezone is not UNSET:
            if timezone is not None and not _valid_timezone(timezone):
                raise ValueError("timezone must be an IANA name such as Europe/London")
            values["timezone"] = timezone
        if consent is not UNSET:
            values["consent"] = bool(consent)
            values["consent_at"] = _utcnow() if consent else None
        if recovery_start is not UNSET:
            values["recovery_start"] = recovery_start
        if active is not UNSET:
            values["active"] = bool(active)
        async with self._write() as conn:
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).first()
            if row is None:
                await self._ensure(conn, chat_id, _utcnow().date())
            if values:
                await conn.execute(update(users).where(users.c.chat_id == chat_id).values(values))
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).one()
            return self._user(row)

    async def forget(self, chat_id: int) -> Erasure:
        """Erase every row about this chat, in one transaction (all or nothing).

        On SQLite the old copies are then wiped from the files: ``secure_delete`` zeroes freed
        space, a TRUNCATE checkpoint moves the WAL back into the database and empties it, and
        a scan checks that no piece of the person's safety plan is left in the database file or
        its WAL. ``Erasure.complete`` is True only after that check passed. A reader elsewhere
        (a backup, ``sqlite3`` in a shell) holding an old snapshot blocks the checkpoint: after
        a few tries the rows stay deleted, ``complete`` is False, and the wipe finishes in the
        background once the reader lets go.
        """
        async with self._write() as conn:
            plan = (
                await conn.execute(
                    select(safety_plans.c.plan).where(safety_plans.c.chat_id == chat_id)
                )
            ).scalar()
            for table in PERSONAL_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == chat_id))
        if self._pg or self.target.sqlite_path is None:
            # PostgreSQL: dead row versions stay until VACUUM (docs/STORAGE.md, Erasure).
            return Erasure(complete=True)
        needles = _plan_pieces(plan)
        if await self._wipe(needles, tries=WIPE_TRIES):
            return Erasure(complete=True)
        self._wipe_in_background(needles)
        return Erasure(complete=False)

    async def wipes_finished(self, timeout: float | None = None) -> bool:
        """Wait for background wipes (tests, shutdown); True when none is left."""
        pending = [task for task in self._wipes if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        return all(task.done() for task in self._wipes)

    async def _wipe(self, needles: list[bytes], *, tries: int) -> bool:
        """Checkpoint, then verify; True when the WAL is empty and no needle is left."""
        pause = WIPE_PAUSE
        for attempt in range(tries):
            busy = await self._checkpoint()
            left = await self._left_on_disk(needles)
            if not busy and not left:
                return True
            if attempt + 1 < tries:
                await asyncio.sleep(pause)
                pause *= 2
        return False

    def _wipe_in_background(self, needles: list[bytes]) -> None:
        task = asyncio.create_task(self._finish_wipe(needles), name="recovery-bot erasure")
        self._wipes.add(task)
        task.add_done_callback(self._wipes.discard)

    async def _finish_wipe(self, needles: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        warned = False
        for attempt in itertools.count():
            delay = BACKGROUND_WIPE_DELAYS[min(attempt, len(BACKGROUND_WIPE_DELAYS) - 1)]
            await asyncio.sleep(delay)
            try:
                if await self._wipe(needles, tries=1):
                    log.info(
                        "an erasure finished in the background after %.0f s", loop.time() - start
                    )
                    return
            except StorageError as exc:
                log.warning("background erasure attempt failed: %s", exc)
            if not warned and loop.time() - start >= WIPE_WARN_AFTER:
                warned = True
                log.warning(
                    "an erasure is still waiting: another connection keeps a read transaction "
                    "open on the SQLite file (a backup or a shell?); the rows are deleted and "
                    "their old copies are wiped as soon as it ends"
                )

    async def _checkpoint(self) -> bool:
        """``wal_checkpoint(TRUNCATE)``, waiting briefly for readers; True if it was blocked."""
        with self._errors():
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                assert driver is not None
                await driver.execute(f"PRAGMA busy_timeout = {WIPE_BUSY_MS}")
                try:
                    cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    row = await cursor.fetchone()
                    await cursor.close()
                finally:
                    await driver.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        return bool(row and row[0])

    async def _left_on_disk(self, needles: list[bytes]) -> list[bytes]:
        """Needles still in the database file or its WAL, other than in live safety plans."""
        path = self.target.sqlite_path
        if not needles or path is None:
            return []
        found = await asyncio.to_thread(_scan_files, _sqlite_files(path), needles)
        if not found:
            return []
        left = []
        async with self._read() as conn:
            for needle in found:
                live = (
                    await conn.execute(
                        select(safety_plans.c.chat_id)
                        .where(func.instr(safety_plans.c.plan, needle.decode(errors="ignore")) > 0)
                        .limit(1)
                    )
                ).first()
                if live is None:
                    left.append(needle)
        return left

    # -- processed updates --------------------------------------------------------------------

    async def claim_update(self, bot_id: int, update_id: int, now: datetime | None = None) -> bool:
        """Record that this update is being answered; False if any instance already took it."""
        return update_id in await self.claim_updates(bot_id, [update_id], now)

    async def claim_updates(
        self, bot_id: int, update_ids: list[int], now: datetime | None = None
    ) -> set[int]:
        """Claim several updates in one transaction; returns the ids that were new."""
        if not update_ids:
            return set()
        moment = now or _utcnow()
        rows = [
            {"bot_id": bot_id, "update_id": update_id, "seen_at": moment}
            for update_id in dict.fromkeys(update_ids)
        ]
        stmt = (
            self._insert(processed_updates)
            .values(rows)
            .on_conflict_do_nothing(
                index_elements=[processed_updates.c.bot_id, processed_updates.c.update_id]
            )
            .returning(processed_updates.c.update_id)
        )
        clock = asyncio.get_running_loop().time()
        async with self._write() as conn:
            new = {int(row[0]) for row in (await conn.execute(stmt)).all()}
            if clock >= self._next_prune:
                self._next_prune = clock + _PRUNE_EVERY
                await conn.execute(
                    delete(processed_updates).where(
                        processed_updates.c.seen_at < moment - UPDATE_MEMORY
                    )
                )
        return new

    # -- safety plan ------------------------------------------------------------------------

    async def get_safety_plan(self, chat_id: int) -> dict[str, list[str]] | None:
        """The saved plan, or None. A plan that cannot be read raises CorruptRowError."""
        async with self._read() as conn:
            raw = (
                await conn.execute(
                    select(safety_plans.c.plan).where(safety_plans.c.chat_id == chat_id)
                )
            ).scalar()
        if raw is None:
            return None
        try:
            plan = json.loads(raw)
            _check_plan(plan)
        except (ValueError, TypeError):
            log.warning("a stored safety plan is unreadable (content not logged)")
            raise CorruptRowError(
                "the saved safety plan could not be read; it can be written again"
            ) from None
        return plan  # type: ignore[no-any-return]

    async def save_safety_plan(self, chat_id: int, plan: dict[str, list[str]]) -> None:
        _check_plan(plan)
        data = json.dumps(plan, ensure_ascii=False, separators=(",", ":"))
        if len(data.encode()) > _MAX_PLAN_BYTES:
            raise ValueError("the safety plan is too long to store")
        stmt = self._insert(safety_plans).values(chat_id=chat_id, plan=data, updated_at=_utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[safety_plans.c.chat_id],
            set_={"plan": stmt.excluded.plan, "updated_at": stmt.excluded.updated_at},
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    async def delete_safety_plan(self, chat_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(delete(safety_plans).where(safety_plans.c.chat_id == chat_id))

    # -- check-ins --------------------------------------------------------------------------

    async def get_checkin_settings(self, chat_id: int) -> CheckinSettings | None:
        """The person's check-in settings, or None. Unreadable values raise CorruptRowError."""
        async with self._read() as conn:
            row = (
                await conn.execute(select(checkins).where(checkins.c.chat_id == chat_id))
            ).first()
        if row is None:
            return None
        m = row._mapping
        settings = CheckinSettings(
            frequency=m["frequency"],
            weekday=m["weekday"],
            local_time=m["local_time"],
            timezone=m["timezone"],
            next_due_at=m["next_due_at"],
            paused=bool(m["paused"]),
            unanswered=int(m["unanswered"]),
            last_sent_at=m["last_sent_at"],
        )
        try:
            _check_checkin(settings)
        except ValueError as exc:
            log.warning("stored check-in settings are invalid: %s", exc)
            raise CorruptRowError(f"the saved check-in settings are invalid: {exc}") from None
        return settings

    async def save_checkin_settings(self, chat_id: int, settings: CheckinSettings) -> None:
        _check_checkin(settings)
        values = {
            "frequency": settings.frequency,
            "weekday": settings.weekday,
            "local_time": settings.local_time,
            "timezone": settings.timezone,
            "next_due_at": settings.next_due_at,
            "paused": settings.paused,
            "unanswered": settings.unanswered,
            "last_sent_at": settings.last_sent_at,
        }
        stmt = self._insert(checkins).values(chat_id=chat_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[checkins.c.chat_id],
            set_={k: getattr(stmt.excluded, k) for k in values},
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    async def delete_checkin_settings(self, chat_id: int) -> None:
        async with self._write() as conn:
            await conn.execute(delete(checkins).where(checkins.c.chat_id == chat_id))

    async def record_checkin_answer(
        self, chat_id: int, mood: str, craving: int | None, at: datetime
    ) -> None:
        """Store a check-in answer: a mood button key (not free text) and a 0-10 craving."""
        if not _MOOD_RE.match(mood):
            raise ValueError("mood must be a short button key such as 'good' or 'struggling'")
        if craving is not None and not 0 <= craving <= 10:
            raise ValueError("craving must be between 0 and 10")
        _check_aware(at)
        async with self._write() as conn:
            await conn.execute(
                checkin_answers.insert().values(chat_id=chat_id, mood=mood, craving=craving, at=at)
            )

    async def checkin_answers(self, chat_id: int, since: datetime) -> list[CheckinAnswer]:
        _check_aware(since)
        stmt = (
            select(checkin_answers)
            .where(and_(checkin_answers.c.chat_id == chat_id, checkin_answers.c.at >= since))
            .order_by(checkin_answers.c.at, checkin_answers.c.id)
        )
        async with self._read() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            CheckinAnswer(chat_id=r.chat_id, at=r.at, mood=r.mood, craving=r.craving) for r in rows
        ]

    # -- groups -----------------------------------------------------------------------------

    async def group_crisis_watch(self, chat_id: int) -> bool:
        async with self._read() as conn:
            value = (
                await conn.execute(
                    select(group_settings.c.crisis_watch).where(group_settings.c.chat_id == chat_id)
                )
            ).scalar()
        return True if value is None else bool(value)

    async def set_group_crisis_watch(self, chat_id: int, on: bool) -> None:
        stmt = self._insert(group_settings).values(chat_id=chat_id, crisis_watch=on)
        stmt = stmt.on_conflict_do_update(
            index_elements=[group_settings.c.chat_id],
            set_={"crisis_watch": stmt.excluded.crisis_watch},
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    # -- anonymous counts -------------------------------------------------------------------

    async def count(self, name: str, key: str = "", *, n: int = 1, day: date | None = None) -> None:
        """Add ``n`` to the daily counter (name, key): one atomic upsert on both backends."""
        if not _NAME_RE.match(name):
            raise ValueError("counter name must be a short snake_case id")
        if not _KEY_RE.match(key):
            raise ValueError("counter key must be an id (letters, digits, _ . : -), not text")
        stmt = self._insert(counters).values(day=day or _utcnow().date(), name=name, key=key, n=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=[counters.c.day, counters.c.name, counters.c.key],
            set_={"n": counters.c.n + stmt.excluded.n},
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    async def record_feedback(self, intent: str, helpful: bool, *, day: date | None = None) -> None:
        """Count one 👍/👎 for an intent; who gave it is not stored."""
        if not _KEY_RE.match(intent) or not intent:
            raise ValueError("intent must be an intent id")
        column = "helpful" if helpful else "not_helpful"
        stmt = self._insert(feedback).values(
            day=day or _utcnow().date(), intent=intent, **{column: 1}
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[feedback.c.day, feedback.c.intent],
            set_={column: feedback.c[column] + 1},
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    async def stats(self, since: date | None = None, *, today: date | None = None) -> Stats:
        """Counts for operators; ``since`` limits the daily counters and feedback."""
        today = today or _utcnow().date()
        day_ok = counters.c.day >= since if since else true()
        fb_ok = feedback.c.day >= since if since else true()
        async with self._read(snapshot=True) as conn:
            total = (await conn.execute(select(func.count()).select_from(users))).scalar_one()
            by_role = {
                (role or "unset"): n
                for role, n in (
                    await conn.execute(select(users.c.role, func.count()).group_by(users.c.role))
                ).all()
            }
            consented = (
                await conn.execute(select(func.count()).where(users.c.consent.is_(True)))
            ).scalar_one()
            recent = (
                await conn.execute(
                    select(func.count()).where(users.c.last_seen >= today - timedelta(days=6))
                )
            ).scalar_one()
            active_checkins = (
                await conn.execute(
                    select(func.count()).where(
                        checkins.c.frequency != "off", checkins.c.paused.is_(False)
                    )
                )
            ).scalar_one()
            plans = (
                await conn.execute(select(func.count()).select_from(safety_plans))
            ).scalar_one()
            sums: dict[tuple[str, str], int] = {
                (name, key): int(n)
                for name, key, n in (
                    await conn.execute(
                        select(counters.c.name, counters.c.key, func.sum(counters.c.n))
                        .where(day_ok)
                        .group_by(counters.c.name, counters.c.key)
                    )
                ).all()
            }
            fb = {
                intent: (int(up), int(down))
                for intent, up, down in (
                    await conn.execute(
                        select(
                            feedback.c.intent,
                            func.sum(feedback.c.helpful),
                            func.sum(feedback.c.not_helpful),
                        )
                        .where(fb_ok)
                        .group_by(feedback.c.intent)
                    )
                ).all()
            }

        def per_key(name: str) -> dict[str, int]:
            return dict(
                sorted(
                    ((k, n) for (c, k), n in sums.items() if c == name),
                    key=lambda kv: (-kv[1], kv[0]),
                )
            )

        def total_of(name: str) -> int:
            return sum(n for (c, _k), n in sums.items() if c == name)

        return Stats(
            users=int(total),
            users_by_role=dict(sorted(by_role.items())),
            consented_users=int(consented),
            active_users_7d=int(recent),
            active_checkins=int(active_checkins),
            safety_plans=int(plans),
            messages=total_of("message"),
            answers_per_intent=per_key("intent_hit"),
            suggestions=total_of("suggest"),
            fallbacks=total_of("fallback"),
            crisis_per_kind=per_key("crisis"),
            feedback_per_intent=dict(sorted(fb.items())),
            since=since,
            send_retries=per_key("send_retry"),
            sends_failed=per_key("send_failed"),
            duplicate_updates=total_of("duplicate_update"),
            blocked=total_of("blocked"),
        )


def _plan_pieces(plan: str | None) -> list[bytes]:
    """Overlapping pieces of the stored plan: any copy of 48 bytes or more contains one.

    Pieces carry the plan's JSON punctuation and section names, so they do not turn up in
    other tables; one that is in another person's live plan is not counted as left over.
    """
    if not plan:
        return []
    data = plan.encode("utf-8")
    if len(data) <= _WINDOW:
        return [data]
    starts = range(0, len(data) - _WINDOW + 1, _STRIDE)
    pieces = {data[i : i + _WINDOW] for i in starts}
    pieces.add(data[-_WINDOW:])
    return sorted(pieces)


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal")]


def _scan_files(files: list[Path], needles: list[bytes]) -> list[bytes]:
    """Which needles occur in any of the files (read in chunks that overlap)."""
    left = set(needles)
    found: list[bytes] = []
    overlap = max(len(n) for n in needles) - 1
    for file in files:
        try:
            handle = file.open("rb")
        except FileNotFoundError:
            continue
        with handle:
            tail = b""
            while left:
                chunk = handle.read(_SCAN_CHUNK)
                if not chunk:
                    break
                window = tail + chunk
                for needle in [n for n in left if n in window]:
                    left.discard(needle)
                    found.append(needle)
                tail = window[-overlap:] if overlap > 0 else b""
    return found


def _check_plan(plan: Any) -> None:
    if not isinstance(plan, dict):
        raise ValueError("a safety plan is a mapping of section name to a list of items")
    for section, items in plan.items():
        if not isinstance(section, str) or not isinstance(items, list):
            raise ValueError("a safety plan is a mapping of section name to a list of items")
        if not all(isinstance(item, str) for item in items):
            raise ValueError("safety plan items must be text")


def _check_checkin(s: CheckinSettings) -> None:
    if s.frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if s.weekday is not None and not 0 <= s.weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    if s.frequency == "weekly" and s.weekday is None:
        raise ValueError("a weekly check-in needs a weekday")
    if not isinstance(s.local_time, time):
        raise ValueError("local_time must be a time of day")
    if not _valid_timezone(s.timezone):
        raise ValueError("timezone must be an IANA name such as Europe/London")
    if s.unanswered < 0:
        raise ValueError("unanswered cannot be negative")
    for moment in (s.next_due_at, s.last_sent_at):
        if moment is not None:
            _check_aware(moment)


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes given to storage must be timezone-aware (UTC)")
