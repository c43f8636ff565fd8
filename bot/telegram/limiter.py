"""Every Bot API call but getUpdates passes here: a slot from the send budget, then retries.

PTB hands each call to the application's rate limiter with its endpoint, its data and the
``rate_limit_args`` the caller gave: here, a :class:`~bot.telegram.budget.Priority`. One place
therefore decides, for handlers, check-ins and anything added later alike:

* **when** a call may go (the :class:`~bot.telegram.budget.SendBudget`: Telegram's limits,
  crisis replies first);
* **whether to try again**. A 429 waits what Telegram asked. A timeout, a 5xx, a dropped
  connection or a cut-off answer is an unknown outcome (Telegram may have delivered the
  message): it is tried again after a backoff, deliberately accepting a possible duplicate,
  because one duplicate is better than one lost reply. A 400, 403, 401/404 or 409 is final.
* **when to give up**: each priority has a budget in seconds (``POLICIES``); a crisis reply
  keeps trying for 15 minutes. Giving up raises :class:`GaveUp` and logs one line with the
  priority, tries and time, never the text or the chat.

Many retries in a minute (a "retry storm") log one warning a minute while they last.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter

from bot.telegram.budget import (
    POLICIES,
    SHORT_LIVED,
    LocalSendBudget,
    Priority,
    RetryPolicy,
    SendBudget,
    retry_after_seconds,
)
from bot.telegram.pacing import chat_key, creates_message
from bot.telegram.request import CutOffAnswer

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
Sleep = Callable[[float], Awaitable[None]]
EventSink = Callable[[str, str], Awaitable[None]]

FLOOD_MARGIN = 0.1
"""Added to Telegram's retry_after, so the next try lands after the wait, not on its edge."""
STORM_RETRIES = 20
"""This many retries within STORM_WINDOW is a retry storm (one warning a minute)."""
STORM_WINDOW = 60.0

PERMANENT: tuple[type[TelegramError], ...] = (
    BadRequest,
    Forbidden,
    InvalidToken,
    Conflict,
    ChatMigrated,
    EndPointNotFound,
)


class GaveUp(TelegramError):
    """A call used its whole retry budget; ``last`` is the last error's type name."""

    def __init__(self, priority: Priority, endpoint: str, tries: int, seconds: float, last: str):
        super().__init__(
            f"gave up on {endpoint} ({priority.name.lower()}) after {tries} tries "
            f"over {seconds:.0f} s (last: {last})"
        )
        self.priority = priority
        self.endpoint = endpoint
        self.tries = tries
        self.seconds = seconds
        self.last = last


def cause_of(exc: BaseException) -> str | None:
    """Why a call may be tried again ("429", "timeout", "cut_off", "error"), or None if final."""
    if isinstance(exc, RetryAfter):
        return "429"
    if isinstance(exc, PERMANENT):
        return None
    if isinstance(exc, TimedOut):
        return "timeout"
    if isinstance(exc, CutOffAnswer):
        return "cut_off"
    if isinstance(exc, NetworkError):
        return "error"  # 5xx, a dropped connection, a 429 without retry_after
    if type(exc) is TelegramError and "Invalid server response" in str(exc):
        return "cut_off"  # PTB's own parser (a request class other than SafeRequest)
    return None


class DeliveryLimiter(BaseRateLimiter[Priority]):
    """PTB rate limiter: send budget + retry policy per priority (see the module docstring)."""

    def __init__(
        self,
        budget: SendBudget | None = None,
        policies: dict[Priority, RetryPolicy] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.budget: SendBudget = budget if budget is not None else LocalSendBudget()
        self.policies = dict(POLICIES if policies is None else policies)
        self.on_event: EventSink | None = None
        """Set by the application: counts retries and give-ups for ``recovery-bot stats``."""
        self._clock = clock
        self._sleep = sleep
        self._recent: deque[tuple[float, str]] = deque()
        self._storm_logged_at: float | None = None
        self.retries: Counter[str] = Counter()
        self.gave_up: Counter[str] = Counter()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | None,
    ) -> JSONResult:
        priority = _priority(rate_limit_args)
        policy = self.policies[priority]
        budget = min(policy.budget, SHORT_LIVED.get(endpoint, policy.budget))
        chat = chat_key(data)
        new_message = chat is not None and creates_message(endpoint)
        start = self._clock()
        backoff = policy.first_backoff
        tries = 0
        while True:
            await self.budget.acquire(priority, chat, new_message=new_message)
            tries += 1
            try:
                return await callback(*args, **kwargs)
            except TelegramError as exc:
                cause = cause_of(exc)
                if cause is None:
                    raise
                if isinstance(exc, RetryAfter):
                    wait = retry_after_seconds(exc) + FLOOD_MARGIN
                    self.budget.hold(chat, wait)
                else:
                    wait = backoff
                    backoff = min(backoff * 2, policy.max_backoff)
                await self._retrying(cause)
                spent = self._clock() - start
                if spent + wait > budget:
                    await self._give_up(priority, endpoint, tries, spent, exc)
                    raise GaveUp(priority, endpoint, tries, spent, type(exc).__name__) from exc
            await self._sleep(wait)

    async def _retrying(self, cause: str) -> None:
        now = self._clock()
        self.retries[cause] += 1
        self._recent.append((now, cause))
        while self._recent and self._recent[0][0] < now - STORM_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= STORM_RETRIES and (
            self._storm_logged_at is None or now - self._storm_logged_at >= STORM_WINDOW
        ):
            self._storm_logged_at = now
            causes = Counter(c for _, c in self._recent)
            log.warning(
                "retry storm: %d retries in the last minute (429: %d, timeouts: %d, "
                "cut-off answers: %d, other errors: %d); sends keep trying within their budgets",
                len(self._recent),
                causes["429"],
                causes["timeout"],
                causes["cut_off"],
                causes["error"],
            )
        await self._event("send_retry", cause)

    async def _give_up(
        self, priority: Priority, endpoint: str, tries: int, spent: float, exc: BaseException
    ) -> None:
        kind = priority.name.lower()
        self.gave_up[kind] += 1
        # Check-ins: the check-in sender reports its own failures (one line per event).
        level = {
            Priority.CRISIS: logging.ERROR,
            Priority.REPLY: logging.WARNING,
            Priority.CHECKIN: logging.DEBUG,
        }[priority]
        log.log(
            level,
            "gave up on a %s %s after %d tries over %.0f s (last error: %s)",
            kind,
            endpoint,
            tries,
            spent,
            type(exc).__name__,
        )
        await self._event("send_failed", kind)

    async def _event(self, name: str, key: str) -> None:
        if self.on_event is None:
            return
        try:
            await self.on_event(name, key)
        except Exception as exc:  # counting must never break sending
            log.debug("could not count %s: %s", name, type(exc).__name__)


def _priority(value: object) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, int):
        try:
            return Priority(value)
        except ValueError:
            pass
    return Priority.REPLY
