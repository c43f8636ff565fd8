"""Send claimed check-ins: paced by a token bucket, driven by an APScheduler interval job.

One tick claims due check-ins in batches (``claim_due``, exactly once across instances) and
sends each batch before claiming the next; each check-in is completed (rescheduled) the moment
Telegram accepted it, and its claim is renewed while it waits, so a crash loses nothing: what a
dead instance claimed is sent by another one when the claim's lease ends. Other instances
share the work. Sends start no faster than ``rate`` per second.

**One check-in in flight per process** (``concurrency`` 1): the next one starts only once the
last one is recorded as sent. Telegram has no idempotency key, so a check-in that reached
Telegram but was not yet recorded when its process died is sent again by another instance; one
in flight keeps that to at most one message per killed process, and only when it dies in the
few milliseconds between Telegram's answer and the record (docs/DEPLOY.md, section 8). With
several instances their sends interleave, so the budget is still used; one instance alone
sends about one check-in per round trip to Telegram. The clock and sleep are injectable so
tests count sends per simulated second.

A person who can't be reached (``Sender.send`` returned False: they blocked the bot) is
marked inactive and their check-ins are paused; a person who left three check-ins
unanswered gets one gentle note instead of a fourth check-in. Group chats (negative ids)
are never sent check-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from bot.checkins.dispatcher import CLAIM_LEASE, Claimed, claim_due, complete, extend
from bot.conversation.registry import Sender
from bot.conversation.reply import Reply

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """Start at most ``rate`` sends per second, evenly spaced (burst of one).

    Slots are ``start + i / rate`` computed by multiplication, not by adding up intervals,
    so a simulated second holds exactly ``rate`` sends without drift. When the sender falls
    idle (or behind), the grid restarts at the current time.
    """

    def __init__(self, rate: float, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self._start = 0.0
        self._count = 0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for the next slot."""
        async with self._lock:
            now = self.clock()
            slot = self._start + self._count / self.rate
            if self._count == 0 or slot < now:
                self._start, self._count, slot = now, 0, now
            self._count += 1
            if slot > now:
                await self.sleep(slot - now)


class Users(Protocol):
    """Where reachability is recorded: ``Conversation.update_user`` (cache-aware) or a store."""

    async def update_user(self, chat_id: int, **fields: Any) -> Any: ...


@dataclass
class TickResult:
    claimed: int = 0
    sent: int = 0
    notes: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped_groups: int = 0


MessageFor = Callable[[Claimed], Reply]


async def pause_checkins(store: Any, chat_id: int) -> None:
    """Pause (not delete) a person's check-ins; /checkin shows them paused and can resume."""
    current = await store.checkins.get(chat_id)
    if current is not None and not current.paused:
        await store.checkins.save(chat_id, dataclasses.replace(current, paused=True))


class CheckinSender:
    """Claims and sends due check-ins; one per process, shared by the scheduler's ticks."""

    def __init__(
        self,
        store: Any,
        sender: Sender,
        users: Users,
        message_for: MessageFor,
        *,
        rate: float,
        grace: timedelta,
        batch: int | None = None,
        concurrency: int = 1,
        lease: timedelta = CLAIM_LEASE,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.users = users
        self.message_for = message_for
        self.grace = grace
        self.bucket = TokenBucket(rate, clock, sleep)
        # About two seconds of sending per claim: small loss on a crash, few round trips.
        self.batch = batch or max(10, int(rate * 2))
        self.concurrency = concurrency
        self.lease = lease
        self._sending: set[int] = set()
        self.now = now or (lambda: datetime.now(timezone.utc))

    async def tick(self) -> TickResult:
        """Claim and send everything due now, batch by batch."""
        result = TickResult()
        now = self.now()
        keeper = asyncio.create_task(self._keep_claims())
        try:
            while True:
                batch = await claim_due(
                    self.store, now, self.grace, self.batch, self.lease, clock=self.now()
                )
                result.claimed += len(batch)
                self._sending.update(item.chat_id for item in batch)
                await self.deliver(batch, result)
                if len(batch) < self.batch:
                    break
        finally:
            keeper.cancel()
            self._sending.clear()
        if result.claimed:
            log.info(
                "check-ins: %d sent, %d notes, %d unreachable, %d failed",
                result.sent,
                result.notes,
                result.unreachable,
                result.failed,
            )
        return result

    async def _keep_claims(self) -> None:
        """Renew the claims of check-ins still waiting for a send slot (live replies go first,
        so a batch may take longer than a lease); a dead instance renews nothing."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await extend(self.store, sorted(self._sending), self.now() + self.lease)
            except Exception as exc:
                log.warning("could not renew check-in claims: %s", type(exc).__name__)

    async def deliver(self, batch: list[Claimed], result: TickResult) -> None:
        """Send one claimed batch, paced by the bucket, a bounded number in flight."""
        slots = asyncio.Semaphore(self.concurrency)
        tasks: list[asyncio.Task[None]] = []
        for item in batch:
            if item.chat_id < 0:
                # Never in a group: check-ins are personal. Such a row is a bug; stop it.
                result.skipped_groups += 1
                await complete(self.store, item)
                await pause_checkins(self.store, item.chat_id)
                continue
            await self.bucket.acquire()
            await slots.acquire()
            tasks.append(asyncio.create_task(self._send_one(item, result, slots)))
        if tasks:
            await asyncio.gather(*tasks)

    async def _send_one(self, item: Claimed, result: TickResult, slots: asyncio.Semaphore) -> None:
        try:
            reply = self.message_for(item)
            sent = await self.sender.send(item.chat_id, reply)
            await complete(self.store, item)
            self._sending.discard(item.chat_id)
            if sent:
                if item.pause_note:
                    result.notes += 1
                else:
                    result.sent += 1
                return
            result.unreachable += 1
            await self.users.update_user(item.chat_id, active=False)
            await pause_checkins(self.store, item.chat_id)
        except Exception as exc:  # one failure must not stop the others; no message text logged
            result.failed += 1
            log.warning("check-in to one chat failed: %s", type(exc).__name__)
            with contextlib.suppress(Exception):  # rescheduled, not tried again and again
                await complete(self.store, item)
        finally:
            slots.release()


class Ticker:
    """APScheduler interval job around :meth:`CheckinSender.tick` (never overlapping itself)."""

    def __init__(self, checkin_sender: CheckinSender, every_seconds: float) -> None:
        self.checkin_sender = checkin_sender
        self.every_seconds = every_seconds
        self._scheduler: Any = None
        self._current: asyncio.Task[Any] | None = None

    async def _run(self) -> None:
        # The tick runs as a task we hold, so stop() can cancel it before the store closes.
        task = asyncio.create_task(self.checkin_sender.tick())
        self._current = task
        await asyncio.wait({task})
        self._current = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("check-in tick failed (%s); the next tick tries again", type(exc).__name__)

    def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(timezone=timezone.utc)
        scheduler.add_job(
            self._run,
            "interval",
            seconds=self.every_seconds,
            id="checkins",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(timezone.utc),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """No new ticks; a tick in progress is cancelled (what it claimed and did not send is
        sent by another instance, or after a restart, once its lease ends)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        current = self._current
        if current is not None and not current.done():
            current.cancel()
            await asyncio.wait({current})
