"""Per-chat pacing: one new message per second per chat, other chats and edits untouched."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.budget import LocalSendBudget
from bot.telegram.limiter import DeliveryLimiter
from bot.telegram.pacing import PACE_SECONDS, ChatPacer, creates_message

PRIVATE = 1001
OTHER = 1002
GROUP = -100123


class FakeClock:
    """Simulated time: ``sleep`` advances the clock instead of waiting (unless frozen)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 0.0
        self.frozen = frozen
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.frozen:
            self.now += seconds
        await asyncio.sleep(0)  # still a suspension point, like the real sleep


class Recorder:
    """Stands in for the HTTP call: remembers which chat got what, and when."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.calls: list[tuple[float, str, Any]] = []

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((self.clock(), endpoint, data.get("chat_id")))
        return {"ok": True}


def limiter(clock: FakeClock, **pacer: Any) -> DeliveryLimiter:
    # Overall/group limits off: these tests look at the per-chat clock only.
    return DeliveryLimiter(
        LocalSendBudget(
            overall_rate=0,
            group_per_minute=0,
            pacer=ChatPacer(clock=clock, sleep=clock.sleep, **pacer),
        )
    )


async def send(
    rl: DeliveryLimiter, rec: Recorder, chat: Any, endpoint: str = "sendMessage"
) -> None:
    data: dict[str, Any] = {"chat_id": chat, "text": "x"} if chat is not None else {}
    await rl.process_request(rec, (endpoint, data), {}, endpoint, data, None)


@pytest.mark.parametrize("n", [2, 3, 5])
async def test_n_messages_to_one_chat_take_at_least_n_minus_one_seconds(n: int) -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rec = Recorder(clock)
    for _ in range(n):
        await send(rl, rec, PRIVATE)
    times = [t for t, _, _ in rec.calls]
    assert len(times) == n
    assert times[-1] - times[0] >= (n - 1) * PACE_SECONDS
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= PACE_SECONDS for gap in gaps)


async def test_concurrent_sends_to_one_chat_queue_in_order() -> None:
    """An answer and a follow-up racing from two tasks still go out a second apart, in order."""
    # Frozen: all four arrive at the same instant, so each waits one more second than the last.
    clock = FakeClock(frozen=True)
    pacer = ChatPacer(clock=clock, sleep=clock.sleep)
    waited = await asyncio.gather(*(pacer.wait(PRIVATE) for _ in range(4)))
    assert waited == [0.0, 1.0, 2.0, 3.0]


async def test_other_chats_are_not_delayed_by_a_busy_chat() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rec = Recorder(clock)

    async def burst() -> None:
        for _ in range(3):
            await send(rl, rec, PRIVATE)

    await asyncio.gather(burst(), send(rl, rec, OTHER), send(rl, rec, GROUP))
    # Only the busy chat waited: two gaps of one second, nothing for the others.
    assert clock.slept == [PACE_SECONDS, PACE_SECONDS]
    chats = [chat for _, _, chat in rec.calls]
    # The other chats went out before the busy chat's second message.
    assert chats.index(OTHER) < 2 and chats.index(GROUP) < 3
    assert chats.count(PRIVATE) == 3


async def test_a_send_after_a_quiet_second_is_not_delayed() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rec = Recorder(clock)
    await send(rl, rec, PRIVATE)
    clock.now += 1.5
    await send(rl, rec, PRIVATE)
    assert clock.slept == []


async def test_same_chat_as_string_or_int_shares_one_clock() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rec = Recorder(clock)
    await send(rl, rec, PRIVATE)
    await send(rl, rec, str(PRIVATE))
    assert clock.slept == [PACE_SECONDS]


@pytest.mark.parametrize(
    "endpoint",
    [
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "sendChatAction",
        "deleteMessage",
    ],
)
async def test_edits_and_button_answers_are_not_paced(endpoint: str) -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rec = Recorder(clock)
    await send(rl, rec, PRIVATE)  # a message was just sent to this chat
    for _ in range(3):
        await send(rl, rec, PRIVATE if endpoint != "answerCallbackQuery" else None, endpoint)
    assert clock.slept == []
    assert len(rec.calls) == 4


def test_which_endpoints_create_messages() -> None:
    for endpoint in ("sendMessage", "sendPhoto", "sendMediaGroup", "forwardMessage", "copyMessage"):
        assert creates_message(endpoint), endpoint
    for endpoint in ("sendChatAction", "editMessageText", "answerCallbackQuery", "setMyCommands"):
        assert not creates_message(endpoint), endpoint


async def test_idle_chats_are_forgotten() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock, sleep=clock.sleep, sweep_every=60)
    for chat in range(100):
        await pacer.wait(chat)
    # All 100 sent within the last second: each still has a gap to keep, so all are remembered.
    assert pacer.tracked == 100
    clock.now += 61
    await pacer.wait(5000)
    assert pacer.tracked == 1  # a minute of quiet: only the chat just written to is left
    clock.now += 2 * PACE_SECONDS
    assert pacer.forget_idle() == 1
    assert pacer.tracked == 0


async def test_memory_stays_bounded_over_many_chats() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock, sleep=clock.sleep, sweep_above=16)
    peak = 0
    for chat in range(10_000):
        await pacer.wait(chat)
        clock.now += 0.1  # ten new chats per second: about ten are ever "active"
        peak = max(peak, pacer.tracked)
    assert peak <= 2 * 16 + 1


async def test_real_clock_does_not_block_the_event_loop() -> None:
    """With the real clock, a waiting chat sleeps; other chats and other work keep running."""
    interval = 0.05
    rl = DeliveryLimiter(
        LocalSendBudget(overall_rate=0, group_per_minute=0, pacer=ChatPacer(interval))
    )
    rec = Recorder(time.monotonic)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(10):
            ticks += 1
            await asyncio.sleep(interval / 10)

    async def burst() -> None:
        for _ in range(4):
            await send(rl, rec, PRIVATE)

    start = time.monotonic()
    await asyncio.gather(burst(), ticker(), *(send(rl, rec, chat) for chat in range(10, 20)))
    private = [t for t, _, chat in rec.calls if chat == PRIVATE]
    others = [t for t, _, chat in rec.calls if chat != PRIVATE]
    assert private[-1] - private[0] >= 3 * interval * 0.95
    assert max(others) - start < interval  # ten other chats, none waited for the busy one
    assert ticks == 10


def test_the_application_uses_the_pacing_rate_limiter() -> None:
    settings = Settings(telegram_bot_token="123:abc")
    app = build_application(settings, engine=object(), open_store=False)  # type: ignore[arg-type]
    assert isinstance(app.bot.rate_limiter, DeliveryLimiter)
    budget = app.bot.rate_limiter.budget
    assert isinstance(budget, LocalSendBudget)
    assert budget.pacer.interval == PACE_SECONDS
