"""A fault storm against the real bot process: who got their reply, how often, how late.

Shared by tests/test_hardening_e2e.py and bench/bench_delivery.py. People write at once (crisis
messages and ordinary questions), the fake Bot API answers a share of the bot's sendMessage
calls with a fault (429 retry_after, 5xx, an HTML error page, an answer cut off after the
message went out, an answer that comes after the bot's timeout), and the figures count, per
kind of reply: replies the bot had to send, replies that arrived, extra copies, replies lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from fake_bot_api import FakeBotApi

QUESTIONS = ("what is methadone", "how does naloxone work", "what is buprenorphine")
CRISIS = "i want to kill myself tonight"
AFTER_CRISIS = "what is naltrexone"
PREFIX = 80
"""A reply is recognised by the first characters of the text the bot sends for it."""


def expected_replies(engine: Any, country: str = "US") -> dict[str, str]:
    """What each message's reply starts with, as sent (escaped): other messages the bot may
    send along (a welcome question, a menu) are not counted."""
    from bot.decision import Context
    from bot.telegram.render import escape

    texts = (*QUESTIONS, CRISIS, AFTER_CRISIS)
    return {t: escape(engine.decide(t, Context(country=country)).reply)[:PREFIX] for t in texts}


@dataclass
class Figures:
    """Delivery of one kind of reply (crisis or ordinary)."""

    kind: str
    sent: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    latencies: list[float] = field(default_factory=list)

    def row(self) -> str:
        p50 = statistics.median(self.latencies) if self.latencies else float("nan")
        top = max(self.latencies) if self.latencies else float("nan")
        return (
            f"{self.kind:<9} sent {self.sent:>4}  delivered {self.delivered:>4}  "
            f"duplicates {self.duplicates:>3}  lost {self.lost:>3}  "
            f"first copy after p50 {p50:5.1f} s  max {top:5.1f} s"
        )


@dataclass
class StormResult:
    crisis: Figures
    ordinary: Figures
    faults: dict[str, int]
    seconds: float

    def table(self) -> str:
        faults = ", ".join(f"{k} {n}" for k, n in sorted(self.faults.items()))
        return "\n".join(
            [
                self.crisis.row(),
                self.ordinary.row(),
                f"faults injected: {faults}; {self.seconds:.0f} s",
            ]
        )


async def run_storm(
    api: FakeBotApi,
    replies: dict[str, str],
    *,
    people: int = 24,
    in_crisis: int = 8,
    rate: float = 0.4,
    seed: int = 12,
    slow_seconds: float = 3.0,
    first_chat: int = 7_000_000,
    settle: float = 90.0,
    quiet: float = 4.0,
    kinds: dict[str, float] | None = None,
    calm_after: float | None = None,
) -> StormResult:
    """Storm the bot (already running against ``api``) and count what people received.

    ``replies``: :func:`expected_replies` (each message's reply, by its start).

    ``calm_after``: the storm stops after that many seconds (an outage that ends).
    """
    ordinary_chats = [first_chat + i for i in range(people)]
    crisis_chats = set(first_chat + people + i for i in range(in_crisis))
    storm = api.storm(
        rate,
        seed=seed,
        slow_seconds=slow_seconds,
        chats={*ordinary_chats, *crisis_chats},
        kinds=kinds,
    )
    calming = (
        asyncio.get_running_loop().call_later(calm_after, api.calm)
        if calm_after is not None
        else None
    )
    start = time.monotonic()
    written: dict[int, float] = {}
    for chat in ordinary_chats:
        written[chat] = time.monotonic()
        for text in QUESTIONS:
            await api.say(chat, text)
    for chat in sorted(crisis_chats):
        written[chat] = time.monotonic()
        await api.say(chat, CRISIS)
        await api.say(chat, AFTER_CRISIS)

    wanted: dict[int, tuple[str, ...]] = {chat: QUESTIONS for chat in ordinary_chats}
    wanted.update({chat: (CRISIS, AFTER_CRISIS) for chat in crisis_chats})

    def copies(chat: int, message: str) -> list[float]:
        start_of = replies[message]
        return [
            call.at - written[chat]
            for call in api.delivered(chat)
            if str(call.params.get("text", "")).startswith(start_of)
        ]

    def done() -> bool:
        return all(copies(c, m) for c, messages in wanted.items() for m in messages)

    deadline = start + settle
    with contextlib.suppress(AssertionError):  # a timeout: what is missing counts as lost
        await api.wait_for(lambda _: done(), timeout=settle)
    # Late copies (a retry after a timeout) come within seconds; wait until the line is quiet.
    last = len(api.calls)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet and time.monotonic() < deadline + quiet:
        await asyncio.sleep(0.2)
        if len(api.calls) != last:
            last, quiet_since = len(api.calls), time.monotonic()
    api.calm()
    if calming is not None:
        calming.cancel()

    crisis, ordinary = Figures("crisis"), Figures("ordinary")
    for chat, messages in wanted.items():
        for message in messages:
            figures = crisis if message == CRISIS else ordinary
            times = copies(chat, message)
            figures.sent += 1
            if not times:
                figures.lost += 1
                continue
            figures.delivered += 1
            figures.duplicates += len(times) - 1
            figures.latencies.append(min(times))
    faults: dict[str, int] = {}
    for kind, _chat in storm.faults:
        faults[kind] = faults.get(kind, 0) + 1
    return StormResult(crisis, ordinary, faults, time.monotonic() - start)
