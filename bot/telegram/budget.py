"""Send priority and the send budget: who may call Telegram next, and when.

Every request that puts something into a chat asks a :class:`SendBudget` for a slot first,
saying how urgent it is (:class:`Priority`). Telegram's published limits are the budget: about
30 messages a second per bot token, 20 a minute per group, about one a second per chat; and a
``429 retry_after`` answer (flood control) is a wait Telegram asks for.

:class:`LocalSendBudget` keeps that budget for one process. When sends queue up (the overall
rate is used up, or Telegram asked everyone to wait), the waiting sends are served by priority
first and arrival second, so a crisis reply overtakes every queued answer and check-in.

Moving the budget to several instances (issue #16) means implementing the same two methods,
``acquire`` and ``hold``, over a store every instance sees (a per-token bucket in PostgreSQL
or Redis): the callers, the priorities and the retry policies stay as they are.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import math
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from telegram import constants

from bot.telegram.pacing import PACE_SECONDS, ChatPacer

ChatKey = int | str
Clock = Callable[[], float]


class Priority(enum.IntEnum):
    """Lower goes first. Passed to PTB as ``rate_limit_args`` on each call (PTB drops a falsy
    value there, so none is 0)."""

    CRISIS = 1
    """Crisis replies and help lines: ahead of everything, retried for 15 minutes."""
    REPLY = 2
    """Answers to something a person just did (a message, a button, a command)."""
    CHECKIN = 3
    """Messages the bot starts itself (check-ins): last in line."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long one send keeps trying, and how it spaces tries after errors.

    A try that Telegram refused with ``429 retry_after`` waits exactly what Telegram asked;
    timeouts, 5xx, cut-off answers and dropped connections wait ``first_backoff``, doubling up
    to ``max_backoff``. No try starts after ``budget`` seconds from the first one.
    """

    budget: float
    first_backoff: float
    max_backoff: float


POLICIES: dict[Priority, RetryPolicy] = {
    Priority.CRISIS: RetryPolicy(budget=15 * 60.0, first_backoff=1.0, max_backoff=30.0),
    Priority.REPLY: RetryPolicy(budget=120.0, first_backoff=0.5, max_backoff=15.0),
    Priority.CHECKIN: RetryPolicy(budget=60.0, first_backoff=1.0, max_backoff=15.0),
}
"""The retry budgets (docs/DELIVERY.md gives the reasons and the measured loss)."""

SHORT_LIVED: dict[str, float] = {"answerCallbackQuery": 10.0}
"""Calls Telegram stops accepting soon (a button's spinner): their budget is capped."""


class SendBudget(Protocol):
    """Slots for calls into chats. One per bot token; shared by everything that sends."""

    async def acquire(self, priority: Priority, chat: ChatKey | None, *, new_message: bool) -> None:
        """Wait for a slot. ``chat`` None: a call outside any chat (no limits apply).

        ``new_message``: the call puts a new message into ``chat`` (paced per chat).
        """
        ...

    def hold(self, chat: ChatKey | None, seconds: float) -> None:
        """Telegram answered ``429 retry_after=seconds`` to a call into ``chat``."""
        ...


class PriorityGate:
    """A token bucket whose waiters are served by (priority, arrival).

    ``rate`` slots a second, up to ``capacity`` saved up. ``pause`` stops all grants for a
    while (Telegram's flood control); when it ends the most urgent waiter goes first.
    ``rate`` 0 means no limit (only pauses apply).
    """

    def __init__(self, rate: float, capacity: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = 0.0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return sum(1 for *_, fut in self._waiters if not fut.done())

    def idle(self) -> bool:
        """Nothing waiting, not paused and the bucket full: safe to forget."""
        self._refill(self._clock())
        return (
            not self._waiters
            and self._clock() >= self._paused_until
            and self._tokens >= self.capacity - 1e-9
        )

    def _refill(self, now: float) -> None:
        if self.rate > 0 and now > self._stamp:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = max(self._stamp, now)

    def _can_grant(self, now: float) -> bool:
        if now < self._paused_until:
            return False
        return self.rate <= 0 or self._tokens >= 1 - 1e-9

    def _take(self) -> None:
        if self.rate > 0:
            self._tokens -= 1

    async def acquire(self, priority: int) -> None:
        now = self._clock()
        self._refill(now)
        if not self._waiters and self._can_grant(now):
            self._take()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._seq), future))
        self._arm()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and self.rate > 0:
                self._tokens = min(self.capacity, self._tokens + 1)  # granted, then cancelled
            self._arm()
            raise

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        if not self._waiters:
            return
        now = self._clock()
        self._refill(now)
        wait = max(0.0, self._paused_until - now)
        if self.rate > 0 and self._tokens < 1:
            wait = max(wait, (1 - self._tokens) / self.rate)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(wait, self._release)

    def _release(self) -> None:
        self._timer = None
        now = self._clock()
        self._refill(now)
        while self._waiters and self._can_grant(now):
            _, _, future = heapq.heappop(self._waiters)
            if future.done():
                continue
            self._take()
            future.set_result(None)
        self._arm()


GLOBAL_FLOOD_CHATS = 3
"""429s from this many different chats within GLOBAL_FLOOD_WINDOW: the bot as a whole is
being held back, so every send pauses (else only the chat that got the 429 waits)."""
GLOBAL_FLOOD_WINDOW = 5.0
MAX_GROUP_GATES = 512


class LocalSendBudget:
    """Telegram's limits for one bot token, kept in this process (see the module docstring)."""

    def __init__(
        self,
        overall_rate: float = constants.FloodLimit.MESSAGES_PER_SECOND,
        group_per_minute: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        pacer: ChatPacer | None = None,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._clock = clock
        self.overall = PriorityGate(overall_rate, overall_rate, clock)
        self.group_per_minute = group_per_minute
        self.pacer = pacer or ChatPacer(PACE_SECONDS)
        self._groups: dict[ChatKey, PriorityGate] = {}
        self._held: dict[ChatKey, float] = {}
        self._floods: deque[tuple[float, ChatKey | None]] = deque()

    @classmethod
    def unlimited(cls) -> LocalSendBudget:
        """No rate limits at all (offline tests, benchmarks); 429 waits still apply."""
        return cls(overall_rate=0, group_per_minute=0, pacer=ChatPacer(0))

    def _group_gate(self, chat: ChatKey) -> PriorityGate | None:
        if self.group_per_minute <= 0 or not _is_group(chat):
            return None
        gate = self._groups.get(chat)
        if gate is None:
            if len(self._groups) >= MAX_GROUP_GATES:
                for key in [k for k, g in self._groups.items() if g.idle()]:
                    del self._groups[key]
            gate = PriorityGate(self.group_per_minute / 60.0, self.group_per_minute, self._clock)
            self._groups[chat] = gate
        return gate

    async def acquire(self, priority: Priority, chat: ChatKey | None, *, new_message: bool) -> None:
        if chat is None:
            return
        if new_message:
            if priority == Priority.CRISIS:
                # Not paced behind the chat's queued messages, but a 429 wait is kept.
                self.pacer.reserve(chat)
                held = self._held.get(chat, 0.0) - self._clock()
                if held > 0:
                    await asyncio.sleep(held)
            else:
                await self.pacer.wait(chat)
        gate = self._group_gate(chat)
        if gate is not None:
            await gate.acquire(priority)
        await self.overall.acquire(priority)

    def hold(self, chat: ChatKey | None, seconds: float) -> None:
        now = self._clock()
        if chat is not None:
            self._held[chat] = max(self._held.get(chat, 0.0), now + seconds)
            self.pacer.hold(chat, seconds)
            if len(self._held) > 4 * MAX_GROUP_GATES:
                self._held = {k: v for k, v in self._held.items() if v > now}
        self._floods.append((now, chat))
        while self._floods and self._floods[0][0] < now - GLOBAL_FLOOD_WINDOW:
            self._floods.popleft()
        chats = {c for _, c in self._floods}
        if chat is None or len(chats) >= GLOBAL_FLOOD_CHATS:
            self.overall.pause(seconds)


def _is_group(chat: ChatKey) -> bool:
    if isinstance(chat, str):
        return True  # "@channel" names
    return chat < 0


def retry_after_seconds(exc: object) -> float:
    """The wait a RetryAfter asks for (read without PTB's deprecation warning)."""
    value = getattr(exc, "_retry_after", None)
    if value is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = getattr(exc, "retry_after", 1)
    return seconds_of(value)


def seconds_of(value: object) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB settings."""
    total = getattr(value, "total_seconds", None)
    if callable(total):
        return float(total())
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    return number if math.isfinite(number) else 1.0
