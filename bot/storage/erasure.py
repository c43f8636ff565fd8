"""Erasure (``/forget``): every row about a chat goes in one transaction, and on SQLite the old
copies are wiped from the database file and its WAL (docs/STORAGE.md, Erasure).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from bot.storage.database import Database
from bot.storage.errors import StorageError
from bot.storage.models import Erasure
from bot.storage.schema import PERSONAL_TABLES, safety_plans

log = logging.getLogger(__name__)

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


class Eraser:
    """Deletes a person everywhere and checks, on SQLite, that their words left the files."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._wipes: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Stop background wipes (one last checkpoint tries to finish them)."""
        pending = [task for task in self._wipes if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            with contextlib.suppress(StorageError):
                await self.checkpoint()

    async def erase(self, chat_id: int) -> Erasure:
        """Erase every row about this chat, in one transaction (all or nothing).

        On SQLite the old copies are then wiped from the files: ``secure_delete`` zeroes freed
        space, a TRUNCATE checkpoint moves the WAL back into the database and empties it, and
        a scan checks that no piece of the person's safety plan is left in the database file or
        its WAL. ``Erasure.complete`` is True only after that check passed. A reader elsewhere
        (a backup, ``sqlite3`` in a shell) holding an old snapshot blocks the checkpoint: after
        a few tries the rows stay deleted, ``complete`` is False, and the wipe finishes in the
        background once the reader lets go.
        """
        async with self.db.write() as conn:
            plan = (
                await conn.execute(
                    select(safety_plans.c.plan).where(safety_plans.c.chat_id == chat_id)
                )
            ).scalar()
            for table in PERSONAL_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == chat_id))
        if self.db.pg or self.db.target.sqlite_path is None:
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
            busy = await self.checkpoint()
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

    async def checkpoint(self) -> bool:
        """``wal_checkpoint(TRUNCATE)``, waiting briefly for readers; True if it was blocked."""
        with self.db.errors():
            async with self.db.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                assert driver is not None
                await driver.execute(f"PRAGMA busy_timeout = {WIPE_BUSY_MS}")
                try:
                    cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    row = await cursor.fetchone()
                    await cursor.close()
                finally:
                    restore = int(self.db.busy_timeout * 1000)
                    await driver.execute(f"PRAGMA busy_timeout = {restore}")
        return bool(row and row[0])

    async def _left_on_disk(self, needles: list[bytes]) -> list[bytes]:
        """Needles still in the database file or its WAL, other than in live safety plans."""
        path = self.db.target.sqlite_path
        if not needles or path is None:
            return []
        found = await asyncio.to_thread(_scan_files, _sqlite_files(path), needles)
        if not found:
            return []
        left = []
        async with self.db.read() as conn:
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
