"""One send budget per bot token, shared by every instance (PostgreSQL, or Redis).

Telegram's overall limit (about 30 messages a second) is per bot token, not per process. With
several instances each keeping its own budget, three of them sent 173 messages in one second.
:class:`SharedSendBudget` keeps the per-chat and per-group limits in this process (a chat's
messages come from whichever instance answers it, but one second apart per chat is a soft
limit) and takes every message's overall slot from one place every instance sees: a row in
the database (:class:`bot.storage.budget.SendBudgets`), or a hash in Redis when ``REDIS_URL``
is set (:class:`bot.storage.redis_budget.RedisSendBudgets`). Both hand out the same slots by the
same rules on their server's clock (":class:`~bot.storage.budget.SlotBudgets`"; below, "the
database" is whichever holds them):

* slots are spaced ``1 / rate`` apart whichever instance asks, so no sliding second holds more
  than the budget (``SEND_BUDGET``, 25 by default, less a margin for network jitter);
* **a crisis lane**: ``CRISIS_RESERVE`` slots a second (2) are kept out of the main lane for
  crisis replies alone (a second column of the row, spaced ``1 / CRISIS_RESERVE``). Answers
  and check-ins share the rest, so the total in any second stays what it was, and a crisis
  reply finds a slot free at once however far ahead the answers booked theirs;
* **crisis replies** take the crisis lane's next slot or the main lane's, whichever comes
  first (a burst of crisis messages overflows into the main lane), however far away it is;
  **answers** take one up to a quarter of a second ahead; **check-ins** take only a slot that
  is free now: they use what live traffic leaves, and a crisis reply never queues behind them;
* a ``429 retry_after`` seen by any instance moves every instance's next slot past the wait;
* **a slot is used on time or not at all**: slots are handed out a little ahead (``lead``, about
  a database round trip and a half), the sender sleeps until its slot by the database's clock, and a
  slot that is already more than ``STALE_AFTER`` old when the process gets to it (a stalled
  process: CPU starved, a long garbage collection, a loop busy with other work) is dropped and a
  new one taken. So a process that stalled never sends several old slots together, on top of
  the slots other instances are using on time.

If the database cannot be reached for 5 s, sends fall back to this process's own pacing at the
full budget (a warning once per outage): sending goes on, at worst faster than the shared
budget. While it lasts, one send every ``RETRY_AFTER`` seconds asks the database again, and
the first answer brings every send back to the shared slots; the others do not wait on it. On
PostgreSQL, slots and leases use a small connection pool of their own, so a burst of handlers
holding every other connection never delays them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections import deque

from bot.storage.budget import Slot, SlotBudgets
from bot.telegram.budget import ChatKey, LocalSendBudget, Priority, PriorityGate

log = logging.getLogger(__name__)

JITTER_MARGIN = 3.0
"""Messages a second kept back from the budget, so network jitter between the moment a slot is
granted and the moment Telegram receives the message cannot squeeze one more into a second."""
CRISIS_RESERVE = 2.0
"""Messages a second of the budget only crisis replies may take (the crisis lane). Answers and
check-ins share ``budget - JITTER_MARGIN - CRISIS_RESERVE``."""
HORIZON: dict[Priority, float] = {
    Priority.CRISIS: float("inf"),
    Priority.REPLY: 0.25,
    Priority.CHECKIN: 0.0,
}
"""How far ahead a priority may book its slot; beyond it, it waits and asks again."""
MIN_POLL = 0.02
STALE_AFTER = 0.1
"""A slot this late when the sender gets to it is dropped, never used. The budget keeps
``JITTER_MARGIN`` of 25 back; slots used up to 0.1 s late fit in it (0.1 s x 22/s = 2.2)."""
MIN_LEAD = 0.02
MAX_LEAD = 0.25
"""Bounds of how far ahead slots are handed out (one and a half recent round trips)."""
PREBOOK_KEEP = 5.0
"""A slot taken ahead for a crisis reply that never came (a group with the watch off, an
error) is forgotten after this many seconds."""
FALL_BACK_AFTER = 5.0
"""Seconds of database errors before a send is paced by this process alone."""
RETRY_AFTER = 2.0
"""Once sends are paced alone, how often one of them asks the database again."""


class PriorityLock:
    """A lock handed to waiters by (priority, arrival): one database question at a time from
    this process, the most urgent first (so a queue of check-ins never holds up a crisis
    reply, and never takes every pooled connection)."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    async def acquire(self, priority: int) -> None:
        if not self._held and not self._waiters:
            self._held = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed over, then cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._held = False


class DatabaseClock:
    """The database's clock (seconds since the epoch) read from this process's loop clock.

    Each slot request is a sample: the database's time, and the loop times the request left
    and its answer came back. As in NTP, the sample with the shortest round trip among recent
    ones gives the offset, within half that round trip (``error``).
    """

    def __init__(self, window: int = 64) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=window)
        self.round_trip = 0.0
        """Recent round trips, smoothed: how long an answer takes now."""

    def sample(self, sent: float, received: float, db_now: float) -> None:
        trip = max(0.0, received - sent)
        self._samples.append((trip, db_now - (sent + received) / 2))
        self.round_trip = trip if not self.round_trip else 0.8 * self.round_trip + 0.2 * trip

    def _best(self) -> tuple[float, float]:
        return min(self._samples)

    @property
    def error(self) -> float:
        return self._best()[0] / 2

    def local(self, db_time: float) -> float:
        """``db_time`` on the loop's clock (within ``error``)."""
        return db_time - self._best()[1]


class SharedSendBudget:
    """:class:`~bot.telegram.budget.SendBudget` over the slots every instance shares
    (``budgets``: ``store.budget``, or a :class:`~bot.storage.redis_budget.RedisSendBudgets`)."""

    def __init__(self, budgets: SlotBudgets, bot_id: int, budget: float = 25.0) -> None:
        rate = max(1.0, budget - JITTER_MARGIN)
        reserve = min(CRISIS_RESERVE, rate / 4)
        self.interval = 1.0 / (rate - reserve)
        """The main lane's spacing (answers, check-ins, crisis replies overflowing)."""
        self.crisis_interval = 1.0 / reserve
        """The crisis lane's spacing: no second holds more than ``reserve`` of its slots."""
        self.bot_id = bot_id
        self.budgets = budgets
        # Per chat and per group, as one process would; the overall limit is the shared row.
        self.local = LocalSendBudget(overall_rate=0)
        self.fallback = PriorityGate(rate, 1.0)
        self._warned = False
        self._down_since: float | None = None
        """When the database stopped answering (None while it answers)."""
        self._asked_at = 0.0
        """When a send last asked the database while sends were paced alone."""
        self._pauses: set[asyncio.Task[None]] = set()
        self._asking = PriorityLock()
        self.clock = DatabaseClock()
        self.dropped = 0
        """Slots given up because they were stale when this process got to them."""
        self._prebooked: dict[ChatKey, tuple[float, asyncio.Task[Slot | None]]] = {}
        self.build_time = 0.0
        """How long a crisis reply takes to build, smoothed (from :meth:`prebook` to its send)."""

    @property
    def lead(self) -> float:
        return min(MAX_LEAD, max(MIN_LEAD, 1.5 * self.clock.round_trip))

    def prebook(self, chat: ChatKey) -> None:
        """A crisis message from ``chat`` arrived: take its reply's slot now, while the reply
        is being built (its read), for about when it will be ready; the reply's send uses it.

        A slot that comes too soon (the reply took longer, by more than ``STALE_AFTER``) is
        dropped like any stale slot, and the send takes a new one: the budget holds either way.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        for key, (asked, _) in list(self._prebooked.items()):
            if now - asked > PREBOOK_KEEP:
                del self._prebooked[key]
        if chat in self._prebooked or self._down_since is not None:
            return  # (the database is failing: the send asks, or paces alone)
        # The slot for when the reply should be ready: the build time less the half round
        # trip before the database reads its clock (no estimate yet: the usual lead).
        lead = self.lead
        if self.build_time:
            lead = max(MIN_LEAD, self.build_time - self.clock.round_trip / 2)
        task = loop.create_task(self._take_crisis(lead), name="recovery-bot crisis slot")
        self._prebooked[chat] = (now, task)

    async def _take_crisis(self, lead: float) -> Slot | None:
        loop = asyncio.get_running_loop()
        try:
            sent = loop.time()
            slot: Slot = await self.budgets.take_crisis(
                self.bot_id, self.interval, self.crisis_interval, lead=lead
            )
        except Exception:  # the send asks again, through the usual path
            return None
        if slot.now:
            self.clock.sample(sent, loop.time(), slot.now)
        return slot

    async def _use_prebooked(self, chat: ChatKey) -> bool:
        """True if the slot taken ahead for this chat's crisis reply was used (on time)."""
        booked = self._prebooked.pop(chat, None)
        if booked is None:
            return False
        asked, task = booked
        built = asyncio.get_running_loop().time() - asked
        self.build_time = built if not self.build_time else 0.8 * self.build_time + 0.2 * built
        slot = await task
        if slot is None or not slot.granted:
            return False
        if await self._on_time(slot.at):
            return True
        self.dropped += 1
        return False

    async def acquire(self, priority: Priority, chat: ChatKey | None, *, new_message: bool) -> None:
        if chat is None:
            return

        await self.local.acquire(priority, chat, new_message=new_message)
        if priority == Priority.CRISIS and await self._use_prebooked(chat):
            return
        horizon = HORIZON[priority]
        loop = asyncio.get_running_loop()
        while True:
            if self._alone(priority, loop.time()):
                await self.fallback.acquire(priority)
                return
            # A crisis reply asks at once; others take turns (one question at a time).
            urgent = priority == Priority.CRISIS
            if not urgent:
                await self._asking.acquire(priority)
            try:
                sent = loop.time()
                if urgent:
                    slot = await self.budgets.take_crisis(
                        self.bot_id, self.interval, self.crisis_interval, lead=self.lead
                    )
                else:
                    slot = await self.budgets.take(
                        self.bot_id, self.interval, horizon, lead=self.lead
                    )
                if slot.now:
                    self.clock.sample(sent, loop.time(), slot.now)
            except Exception as exc:
                slot = None
                self._failed(exc, loop.time())
            finally:
                if not urgent:
                    self._asking.release()
            if slot is None:
                if self._down_for(loop.time()) >= FALL_BACK_AFTER:
                    await self.fallback.acquire(priority)
                    return
                await asyncio.sleep(0.1)
                continue
            self._answered()
            if slot.granted:
                if await self._on_time(slot.at):
                    return
                self.dropped += 1  # stale: another instance may be using the next ones
                continue
            # Not yet: wait until the slot on offer is within this priority's horizon.
            await asyncio.sleep(max(MIN_POLL, slot.wait) * random.uniform(1.0, 1.2))

    def _down_for(self, now: float) -> float:
        return 0.0 if self._down_since is None else now - self._down_since

    def _alone(self, priority: Priority, now: float) -> bool:
        """True when this send is paced by this process alone, without asking: the database
        has failed for ``FALL_BACK_AFTER`` and another send asked it under ``RETRY_AFTER``
        ago (else this one asks, and the others wait no longer than it). A crisis reply
        never asks then: it does not wait on a database that may take its timeout to fail."""
        if self._down_for(now) < FALL_BACK_AFTER:
            return False
        if priority == Priority.CRISIS or now - self._asked_at < RETRY_AFTER:
            return True
        self._asked_at = now
        return False

    def _failed(self, exc: BaseException, now: float) -> None:
        if self._down_since is None:
            self._down_since = now
        if self._down_for(now) >= FALL_BACK_AFTER:
            self._warn(exc)
            self._asked_at = max(self._asked_at, now)

    def _answered(self) -> None:
        if self._down_since is not None and self._warned:
            log.info("the shared send budget answers again; sends take its slots")
            self._warned = False  # the next outage warns again
        self._down_since = None

    async def _on_time(self, at: float) -> bool:
        """Sleep until the slot at ``at`` (database clock) has surely come; False if it is
        already more than ``STALE_AFTER`` past (this process was too slow to use it)."""
        loop = asyncio.get_running_loop()
        slot, error = self.clock.local(at), self.clock.error
        delay = slot + error - loop.time()  # never before the slot
        if delay > 0:
            await asyncio.sleep(delay)
        return loop.time() <= slot - error + STALE_AFTER

    def hold(self, chat: ChatKey | None, seconds: float) -> None:
        self.local.hold(chat, seconds)
        task = asyncio.get_running_loop().create_task(self._pause(seconds))
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)

    async def _pause(self, seconds: float) -> None:
        try:
            await self.budgets.pause(self.bot_id, seconds)
        except Exception as exc:
            self._warn(exc)
            self.fallback.pause(seconds)

    def _warn(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "the shared send budget is unreachable (%s); pacing sends in this process only",
                type(exc).__name__,
            )
