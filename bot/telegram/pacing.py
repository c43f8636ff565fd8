"""Per-chat pacing: at most one new message per second into any one chat.

Telegram asks bots not to send more than about one message per second to a single chat; bursts
(a long reply split into several messages, an answer plus a follow-up) earn a flood wait for that
chat. :class:`ChatPacer` is that per-chat clock; the send budget (:mod:`bot.telegram.budget`)
puts it in front of the overall and per-group limits. Pacing lives in the rate limiter, not in
:mod:`bot.telegram.delivery`, because every request passes through it with its endpoint name:
only requests that create a message are paced, so edits and callback-query answers (a tap on a
button) stay instant, and check-ins, handlers and anything added later are covered alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

PACE_SECONDS = 1.0
"""Minimum gap between two new messages to the same chat (Telegram: ~1 message/s per chat)."""

SWEEP_ABOVE = 256
"""Look for idle chats to forget once this many chats are tracked (then at twice the size)."""

SWEEP_EVERY = 60.0
"""...and at least this often (seconds), so a chat idle for a minute is gone whatever the size."""

# Endpoints that send something, but not a new message: a "typing…" indicator, a streamed draft.
UNPACED_SENDS = frozenset({"sendChatAction", "sendMessageDraft"})

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def creates_message(endpoint: str) -> bool:
    """True for Bot API methods that put a new message into a chat (sendX, forward, copy)."""
    if endpoint in UNPACED_SENDS:
        return False
    return endpoint.startswith(("send", "forwardMessage", "copyMessage"))


class ChatPacer:
    """One clock per chat: each send reserves the chat's next free slot, then sleeps until it.

    Reserving happens without awaiting, so concurrent sends to one chat queue up in arrival order
    and sends to other chats never wait for them. A chat whose next slot is already in the past is
    idle: it is forgotten in an occasional sweep, so memory follows the number of chats written to
    in the last ``interval`` seconds (plus any queued backlog), not every chat ever seen.
    """

    def __init__(
        self,
        interval: float = PACE_SECONDS,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        sweep_above: int = SWEEP_ABOVE,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._min_sweep = sweep_above
        self._sweep_at = sweep_above
        self._sweep_every = sweep_every
        self._next_sweep = clock() + sweep_every
        self._next_free: dict[int | str, float] = {}

    @property
    def tracked(self) -> int:
        """How many chats have a clock right now (for tests and metrics)."""
        return len(self._next_free)

    async def wait(self, chat_id: int | str) -> float:
        """Wait until ``chat_id`` may receive a message; returns the seconds waited."""
        now = self._clock()
        slot = max(now, self._next_free.get(chat_id, now))
        self._next_free[chat_id] = slot + self.interval
        if len(self._next_free) > self._sweep_at or now >= self._next_sweep:
            self.forget_idle(now)
        delay = slot - now
        if delay > 0:
            await self._sleep(delay)
        return delay

    def reserve(self, chat_id: int | str) -> None:
        """Take the chat's next slot without waiting for it (a crisis reply goes at once);
        messages queued after it are still spaced from it."""
        now = self._clock()
        self._next_free[chat_id] = max(now, self._next_free.get(chat_id, now)) + self.interval

    def hold(self, chat_id: int | str, seconds: float) -> None:
        """Telegram asked to wait ``seconds`` before writing to this chat again (429)."""
        until = self._clock() + seconds
        self._next_free[chat_id] = max(self._next_free.get(chat_id, until), until)

    def forget_idle(self, now: float | None = None) -> int:
        """Drop chats with no pending gap; returns how many were dropped."""
        now = self._clock() if now is None else now
        idle = [chat for chat, free in self._next_free.items() if free <= now]
        for chat in idle:
            del self._next_free[chat]
        # Sweeping again only after the table doubles keeps the cost amortised O(1) per send.
        self._sweep_at = max(self._min_sweep, 2 * len(self._next_free))
        self._next_sweep = now + self._sweep_every
        return len(idle)


def chat_key(data: dict[str, Any]) -> int | str | None:
    """The chat a Bot API call goes to: 123 and "123" are one chat; "@channel" stays a name."""
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)
    return str(chat_id)
