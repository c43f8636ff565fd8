"""The store: one engine, one transaction helper, and a small repository per aggregate.

    store.people     a person's row (role, country, time zone, consent, activity)
    store.plans      safety plans
    store.checkins   check-in schedules and answers
    store.groups     group settings
    store.counters   anonymous counts and the operator report
    store.updates    processed update ids (each update answered once)
    store.flows      where each chat is in a multi-step exchange (any instance goes on)
    store.inbox      webhook updates stored before Telegram's 200, until handled
    store.budget     the send budget every instance shares (PostgreSQL)
    store.forget()   erasure of everything about a chat, across the aggregates

Every repository method is one transaction. Queries of other modules (check-in claims) use
:meth:`Store.transaction` and :meth:`Store.insert`.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.budget import SendBudgets
from bot.storage.checkins import Checkins
from bot.storage.counters import Counters
from bot.storage.crisis_reads import CrisisReads
from bot.storage.database import (
    Database,
    coordination_engine,
    migrate_engine,
    open_engine,
    urgent_engine,
)
from bot.storage.erasure import Eraser
from bot.storage.errors import StorageError
from bot.storage.flows import Flows
from bot.storage.groups import Groups
from bot.storage.inbox import Inbox
from bot.storage.models import Erasure
from bot.storage.people import People
from bot.storage.safety_plans import SafetyPlans
from bot.storage.updates import Updates
from bot.storage.urls import DatabaseTarget

__all__ = ["Store", "migrate_engine", "open_engine"]


class Urgent:
    """Repositories on the urgent pool, for a crisis message in a burst."""

    def __init__(self, db: Database, updates: Updates, coord: Database) -> None:
        self.db = db
        self.people = People(db)
        self.plans = SafetyPlans(db)
        self.flows = Flows(db)
        self.crisis = CrisisReads(db)
        self.inbox = Inbox(db, updates, coord)


class Store:
    """Async storage API. Build with :meth:`open`."""

    def __init__(self, engine: AsyncEngine, target: DatabaseTarget, busy_timeout: float) -> None:
        self.db = Database(engine, target, busy_timeout)
        self.coord = (
            Database(coordination_engine(target), target, busy_timeout)
            if target.backend == "postgresql"
            else self.db
        )
        """Where leases, send slots and crisis replies' reads go: a pool of their own on
        PostgreSQL, so none of them queues behind a burst of ordinary messages."""
        self.people = People(self.db)
        self.plans = SafetyPlans(self.db)
        self.checkins = Checkins(self.db)
        self.groups = Groups(self.db)
        self.counters = Counters(self.db)
        self.updates = Updates(self.db)
        self.flows = Flows(self.db)
        self.crisis = CrisisReads(self.db)
        self.inbox = Inbox(self.db, self.updates, self.coord)
        self.urgent_db = (
            Database(urgent_engine(target), target, busy_timeout)
            if target.backend == "postgresql"
            else self.db
        )
        """Crisis messages only (storing one, its reads, its send slot): a pool of their own
        on PostgreSQL."""
        self.budget = SendBudgets(self.coord, self.urgent_db)
        self.urgent = Urgent(self.urgent_db, self.updates, self.coord)
        """The reads a crisis reply needs, and storing a crisis update, on that pool."""
        self._eraser = Eraser(self.db)

    @classmethod
    async def open(cls, database_url: str, *, busy_timeout: float = 5.0) -> Store:
        """Open (creating the file, folder or PostgreSQL database) and migrate to the latest."""
        engine, target = await open_engine(database_url, busy_timeout=busy_timeout)
        store = cls(engine, target, busy_timeout)
        if target.sqlite_path is not None:
            # Finish what a previous process may have left: old page copies in the WAL.
            with contextlib.suppress(StorageError):
                await store._eraser.checkpoint()
        if store.urgent_db is not store.db:
            with contextlib.suppress(StorageError):  # else they open when first needed
                await store.urgent_db.warm(3)
        return store

    async def close(self) -> None:
        """Stop background wipes, then disconnect."""
        await self._eraser.close()
        await self.db.engine.dispose()
        if self.coord is not self.db:
            await self.coord.engine.dispose()
        if self.urgent_db is not self.db:
            await self.urgent_db.engine.dispose()

    @property
    def engine(self) -> AsyncEngine:
        return self.db.engine

    @property
    def target(self) -> DatabaseTarget:
        return self.db.target

    @property
    def backend(self) -> str:
        return self.db.target.backend

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A write transaction for other modules' own queries (e.g. check-in claims).

        Use this, not ``engine.begin()``: on SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), and driver errors become StorageError with a clear message.
        """
        return self.db.write()

    def coordination(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A write transaction on the coordination pool (leases), never queued behind handlers."""
        return self.coord.write()

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_update``/``do_nothing``."""
        return self.db.insert(table)

    async def forget(self, chat_id: int) -> Erasure:
        """Erase every row about this chat in one transaction (see :mod:`.erasure`)."""
        return await self._eraser.erase(chat_id)

    async def wipes_finished(self, timeout: float | None = None) -> bool:
        """Wait for background wipes (tests, shutdown); True when none is left."""
        return await self._eraser.wipes_finished(timeout)
