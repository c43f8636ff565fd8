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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.telegram.handlers import UpdateClaims

log = logging.getLogger(__name__)

STOP_WAIT = 10.0
"""At shutdown, how long updates being handled may finish; the rest are taken over."""


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

    async def accept(self, update: Update, body: bytes) -> bool:
        """Store the update (raises StorageError if it cannot); True if it was new.

        Only what the bot needs is kept: the update exactly as Telegram sent it, until handled.
        """
        chat = update.effective_chat
        services = self.application.bot_data.get("services")
        # A crisis message is stored through the store's own small pool: in a burst it does
        # not wait for a connection behind hundreds of ordinary updates.
        urgent = self._urgent(update)
        inbox = getattr(self.store, "urgent", self.store).inbox if urgent else self.store.inbox
        new: bool = await inbox.accept(
            self.bot_id,
            update.update_id,
            body.decode("utf-8"),
            chat_id=chat.id if chat is not None else None,
            lease=self.lease,
        )
        if new:
            if chat is not None and await inbox.behind(self.bot_id, chat.id, update.update_id):
                # An earlier message of this chat is still waiting: this one is taken over
                # after it, in order (the inbox loop), never handled beside it.
                await inbox.release(self.bot_id, update.update_id)
            else:
                self._handle(update)
        else:
            if services is not None:
                await services.conversation.counters.add("duplicate_update")
        return new

    def _urgent(self, update: Update) -> bool:
        services = self.application.bot_data.get("services")
        message = update.effective_message
        text = message.text if message is not None else None
        return bool(text) and services is not None and services.conversation.is_crisis(text)

    def _handle(self, update: Update) -> None:
        update_id = update.update_id
        if update_id in self._handling:
            return
        self.claims.taken.add(update_id)  # already claimed with the inbox row
        task = asyncio.create_task(self._process(update), name="recovery-bot update")
        self._handling[update_id] = task

    async def _process(self, update: Update) -> None:
        update_id = update.update_id
        try:
            await self.application.process_update(update)
        except Exception:  # process_update hands handler errors to the error handler
            log.exception("handling an update failed")
        finally:
            self.claims.taken.discard(update_id)
            self._handling.pop(update_id, None)
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
