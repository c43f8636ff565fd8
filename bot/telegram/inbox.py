"""Webhook updates that are never lost: stored before the 200, handled, then deleted.

:meth:`InboxWorker.accept` is what the webhook calls for each update: it stores the update in
the database inbox (de-duplicated by ``update_id``) and only then lets the webhook answer
Telegram 200; a database that cannot store it makes the webhook answer 503, so Telegram sends
the update again. The accepting instance handles the update at once and renews its lease while
it works; when it is done the row is deleted.

Every instance also looks, every few seconds, for updates whose lease ran out: an instance
that accepted them died (a deploy, a crash, a killed machine) before handling them. It takes
them over (``SKIP LOCKED`` on PostgreSQL) and handles them. An update that was handled but
whose row was not yet deleted when its instance died is handled again: a possible duplicate
reply, never a lost one (the same choice as for sends, docs/DELIVERY.md).

A chat's updates are handled in the order they were sent: one that arrives while an earlier
update of the same chat is still waiting (being handled elsewhere, or left by a dead instance)
gives up its lease and is taken over after it. So an answer typed after a crash is never filed
under the step the lost update was for.

A crisis message does not wait for anything: the crisis check runs on the text as it arrives,
and a crisis update is handled at once, while it is being stored, ahead of the chat's earlier
updates and of every ordinary update. Ordinary updates do their work (the database, the
matching) :data:`ORDINARY_AT_ONCE` at a time (:class:`OrdinaryGate`): a burst of hundreds of
questions keeps this process's event loop, its database pool and the machine's CPU free enough
that a crisis message among them is read, answered and sent within a second. Waiting for a send
slot is outside that gate: replies are paced by the send budget, not by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.telegram.handlers import UpdateClaims

log = logging.getLogger(__name__)

STOP_WAIT = 10.0
"""At shutdown, how long updates being handled may finish; the rest are taken over."""
ORDINARY_AT_ONCE = 8
"""Ordinary updates doing their work at once in one process (crisis updates never wait for
these). Enough to keep the shared send budget busy with answers; few enough that a burst does
not crowd out a crisis message on the event loop or the database."""


ACCEPT_BATCH = 200
"""Ordinary updates stored in one transaction at most."""


CRISIS_HOLD = 1.0
"""At most this long, an ordinary update waits to start its work while a crisis update is
being handled in this process (a crisis reply stuck in a flood wait holds nothing longer)."""


class OrdinaryGate:
    """Ordinary updates take turns (``ORDINARY_AT_ONCE`` at a time); crisis updates, marked
    ``urgent`` when they arrive, never wait. Handlers hold a turn only while they read, decide
    and write, not while their reply waits for a send slot.

    While a crisis update is being handled (until its reply is sent), ordinary updates start
    no new work (up to ``CRISIS_HOLD``): the matching behind an answer is CPU work on the same
    event loop, and every step of the crisis reply (its read, its send slot, its send) waits
    for the loop behind whatever work is running. Ordinary replies already waiting for send
    slots keep the send budget busy meanwhile.
    """

    def __init__(self, at_once: int = ORDINARY_AT_ONCE, hold: float = CRISIS_HOLD) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self.hold = hold
        self.urgent: set[int] = set()
        """Ids of crisis updates being handled by this process."""
        self._calm = asyncio.Event()
        self._calm.set()

    def begin_urgent(self, update_id: int) -> None:
        self.urgent.add(update_id)
        self._calm.clear()

    def end(self, update_id: int) -> None:
        """The update was handled (its replies sent, or given up)."""
        self.urgent.discard(update_id)
        if not self.urgent:
            self._calm.set()

    @contextlib.asynccontextmanager
    async def turn(self, update_id: int) -> AsyncIterator[None]:
        if update_id in self.urgent:
            yield
            return
        if not self._calm.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calm.wait(), self.hold)
        async with self._turns:
            yield


class InboxWorker:
    """Accepts, handles and recovers webhook updates for one instance."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        store: Any,
        claims: UpdateClaims,
        *,
        lease: float = 10.0,
    ) -> None:
        self.application = application
        self.store = store
        self.claims = claims
        self.bot_id = application.bot.id
        self.lease = timedelta(seconds=lease)
        self.every = max(0.2, lease / 3)
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self.taken_over = 0
        self.gate = OrdinaryGate()
        self._accepting: list[tuple[Update, bytes, asyncio.Future[bool]]] = []
        self._storing: asyncio.Task[None] | None = None
        application.bot_data["ordinary_gate"] = self.gate

    async def accept(self, update: Update, body: bytes) -> bool:
        """Store the update (raises StorageError if it cannot); True if it was new.

        Only what the bot needs is kept: the update exactly as Telegram sent it, until handled.
        A crisis update is handled from the moment it arrives, while it is being stored.
        Ordinary updates that arrive together are stored together (one transaction for all of
        them: in a burst, a round trip each would keep Telegram's later deliveries, a crisis
        message among them, waiting).
        """
        if self._urgent(update):
            return await self._accept_urgent(update, body)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._accepting.append((update, body, future))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_accepted())
        new = await future
        if not new:
            services = self.application.bot_data.get("services")
            if services is not None:
                await services.conversation.counters.add("duplicate_update")
        return new

    async def _store_accepted(self) -> None:
        await asyncio.sleep(0)  # updates that arrived together join this batch
        while self._accepting:
            batch, self._accepting = self._accepting[:ACCEPT_BATCH], self._accepting[ACCEPT_BATCH:]
            items = [
                (
                    update.update_id,
                    body.decode("utf-8"),
                    update.effective_chat.id if update.effective_chat is not None else None,
                )
                for update, body, _ in batch
            ]
            try:
                new, behind = await self.store.inbox.accept_many(
                    self.bot_id, items, lease=self.lease
                )
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for update, _, future in batch:
                fresh = update.update_id in new
                new.discard(update.update_id)  # the same id twice in one batch: only the first
                if fresh and update.update_id not in behind:
                    self._handle(update)
                # else: behind an earlier update of its chat, taken over after it, in order
                if not future.done():
                    future.set_result(fresh)

    async def _accept_urgent(self, update: Update, body: bytes) -> bool:
        """A crisis update: handled at once, stored meanwhile (through the store's own small
        pool, never behind a burst of ordinary updates); the 200 waits for the store only.

        It goes ahead of its chat's earlier updates still waiting. If Telegram delivered it
        twice (an update already taken), the help lines may go out twice: better than late.
        """
        chat = update.effective_chat
        inbox = getattr(self.store, "urgent", self.store).inbox
        stored = asyncio.ensure_future(
            inbox.accept(
                self.bot_id,
                update.update_id,
                body.decode("utf-8"),
                chat_id=chat.id if chat is not None else None,
                lease=self.lease,
            )
        )
        self.gate.begin_urgent(update.update_id)
        budget = getattr(getattr(self.application.bot, "rate_limiter", None), "budget", None)
        prebook = getattr(budget, "prebook", None)
        if prebook is not None and chat is not None:
            prebook(chat.id)  # its send slot, taken while the reply is being built
        self._handle(update, stored)
        new: bool = await stored
        return new

    def _urgent(self, update: Update) -> bool:
        services = self.application.bot_data.get("services")
        message = update.effective_message
        text = message.text if message is not None else None
        return bool(text) and services is not None and services.conversation.is_crisis(text)

    def _handle(self, update: Update, stored: asyncio.Future[bool] | None = None) -> None:
        update_id = update.update_id
        if update_id in self._handling:
            return
        self.claims.taken.add(update_id)  # already claimed with the inbox row
        task = asyncio.create_task(self._process(update, stored), name="recovery-bot update")
        self._handling[update_id] = task

    async def _process(self, update: Update, stored: asyncio.Future[bool] | None = None) -> None:
        update_id = update.update_id
        try:
            await self.application.process_update(update)
        except Exception:  # process_update hands handler errors to the error handler
            log.exception("handling an update failed")
        finally:
            self.claims.taken.discard(update_id)
            self._handling.pop(update_id, None)
            self.gate.end(update_id)
        if stored is not None:
            # Handled while it was being stored: its row is deleted once it is there.
            try:
                if not await stored:
                    return  # taken before (a redelivery): its row belongs to that handling
            except Exception:  # not stored: Telegram got a 503 and sends it again
                return
        try:
            await self.store.inbox.done(self.bot_id, update_id)
        except Exception as exc:  # the lease runs out; another instance may answer it again
            log.warning("could not mark an update handled: %s", type(exc).__name__)
            return
        chat = update.effective_chat
        if chat is not None:
            # The chat's next update may have been waiting for this one: take it now.
            with contextlib.suppress(Exception):  # else the inbox loop takes it shortly
                for pending in await self.store.inbox.take_abandoned(
                    self.bot_id, self.lease, limit=1, chat_id=chat.id
                ):
                    await self._take(pending)

    async def _take(self, pending: Any) -> None:
        update = _parse(pending.payload, self.application.bot)
        if update is None:
            await self.store.inbox.done(self.bot_id, pending.update_id)
            return
        self.taken_over += 1
        self._handle(update)

    def start(self) -> None:
        """Start renewing leases and taking over what dead instances left."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="recovery-bot inbox")

    async def _run(self) -> None:
        while True:
            try:
                await self.store.inbox.renew(self.bot_id, list(self._handling), self.lease)
                for pending in await self.store.inbox.take_abandoned(self.bot_id, self.lease):
                    await self._take(pending)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("inbox round failed (tried again shortly): %s", type(exc).__name__)
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        """Stop looking; give updates being handled a little time, then leave the rest."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        pending = list(self._handling.values())
        if pending:
            await asyncio.wait(pending, timeout=STOP_WAIT)


def _parse(payload: str, bot: Any) -> Update | None:
    try:
        return Update.de_json(json.loads(payload), bot)
    except Exception:  # a row this version cannot read: dropped, its content not logged
        log.warning("a stored update could not be read; dropped")
        return None
