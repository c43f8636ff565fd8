"""Delivery: retry budgets per priority, unknown outcomes retried, crisis first, cut-off answers.

The retry budgets run in simulated time (a fake clock whose sleep advances it), so "a crisis
reply keeps trying for 15 minutes" takes milliseconds. The end-to-end rows are in
tests/test_hardening_e2e.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import pytest
from fake_bot_api import TOKEN, FakeBotApi, RecordingRequest
from telegram import Bot, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.config import Settings
from bot.conversation.reply import Reply
from bot.storage import Store
from bot.storage.stats import format_stats
from bot.telegram.app import build_application, shutdown, startup
from bot.telegram.budget import POLICIES, LocalSendBudget, Priority, PriorityGate
from bot.telegram.delivery import TelegramSender
from bot.telegram.limiter import STORM_RETRIES, DeliveryLimiter, GaveUp, cause_of
from bot.telegram.pacing import ChatPacer
from bot.telegram.request import CutOffAnswer, SafeRequest

CHAT = 4242


class SimClock:
    """Simulated seconds: ``sleep`` moves the clock on at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def sim_limiter(clock: SimClock) -> DeliveryLimiter:
    budget = LocalSendBudget(0, 0, ChatPacer(0, clock=clock, sleep=clock.sleep), clock=clock)
    return DeliveryLimiter(budget, clock=clock, sleep=clock.sleep)


class Failing:
    """A Bot API call that fails with ``errors`` in turn (the last one forever), then works."""

    def __init__(self, clock: SimClock, *errors: BaseException, succeed_after: int | None = None):
        self.clock = clock
        self.errors = errors
        self.succeed_after = succeed_after
        self.calls: list[float] = []

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(self.clock())
        if self.succeed_after is not None and len(self.calls) > self.succeed_after:
            return {"message_id": 1}
        raise self.errors[min(len(self.calls) - 1, len(self.errors) - 1)]


async def send(
    limiter: DeliveryLimiter, call: Any, priority: Priority, endpoint: str = "sendMessage"
) -> Any:
    data = {"chat_id": CHAT, "text": "I want to end it all tonight"}
    return await limiter.process_request(call, (endpoint, data), {}, endpoint, data, priority)


async def test_a_crisis_reply_keeps_trying_through_ten_minutes_of_flood_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SimClock()
    limiter = sim_limiter(clock)
    call = Failing(clock, RetryAfter(1))
    start = clock()
    with caplog.at_level(logging.DEBUG), pytest.raises(GaveUp) as raised:
        await send(limiter, call, Priority.CRISIS)
    assert clock() - start >= 10 * 60
    assert call.calls[-1] - start >= 10 * 60  # still trying after ten minutes
    assert len(call.calls) > 500  # one try per second, as Telegram asked
    assert all(s >= 1.0 for s in clock.slept)
    assert raised.value.priority == Priority.CRISIS
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].levelno == logging.ERROR
    assert "crisis" in gave_up[0].getMessage()
    assert "end it all" not in caplog.text and str(CHAT) not in caplog.text


async def test_a_crisis_reply_survives_thirty_flood_waits() -> None:
    clock = SimClock()
    call = Failing(clock, RetryAfter(1), succeed_after=30)
    assert await send(sim_limiter(clock), call, Priority.CRISIS) == {"message_id": 1}
    assert len(call.calls) == 31


@pytest.mark.parametrize("priority", [Priority.REPLY, Priority.CHECKIN])
async def test_other_sends_give_up_at_their_budget(priority: Priority) -> None:
    clock = SimClock()
    call = Failing(clock, NetworkError("Bad Gateway"))
    start = clock()
    with pytest.raises(GaveUp):
        await send(sim_limiter(clock), call, priority)
    budget = POLICIES[priority].budget
    assert call.calls[-1] - start <= budget
    assert clock() - start >= budget - POLICIES[priority].max_backoff


@pytest.mark.parametrize(
    "error",
    [
        TimedOut(),
        CutOffAnswer("cut"),
        NetworkError("Bad Gateway"),
        NetworkError("httpx.RemoteProtocolError: peer closed connection"),
        TelegramError("Invalid server response"),
        RetryAfter(2),
    ],
    ids=["timeout", "cut-off", "5xx", "dropped", "ptb-invalid-json", "429"],
)
async def test_unknown_outcomes_are_tried_again(error: TelegramError) -> None:
    clock = SimClock()
    call = Failing(clock, error, succeed_after=1)
    assert await send(sim_limiter(clock), call, Priority.REPLY) == {"message_id": 1}
    assert len(call.calls) == 2
    if isinstance(error, RetryAfter):
        assert clock.slept == [pytest.approx(2.1)]


@pytest.mark.parametrize(
    "error",
    [BadRequest("Bad Request: chat not found"), Forbidden("Forbidden: bot was blocked")],
)
async def test_final_answers_are_not_tried_again(error: TelegramError) -> None:
    clock = SimClock()
    call = Failing(clock, error)
    with pytest.raises(type(error)):
        await send(sim_limiter(clock), call, Priority.CRISIS)
    assert len(call.calls) == 1


def test_what_counts_as_an_unknown_outcome() -> None:
    assert cause_of(RetryAfter(1)) == "429"
    assert cause_of(TimedOut()) == "timeout"
    assert cause_of(CutOffAnswer("x")) == "cut_off"
    assert cause_of(NetworkError("Internal Server Error")) == "error"
    assert cause_of(BadRequest("x")) is None
    assert cause_of(Forbidden("x")) is None
    assert cause_of(TelegramError("something else")) is None


async def test_a_retry_storm_logs_one_warning_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimClock()
    limiter = sim_limiter(clock)
    with caplog.at_level(logging.INFO, logger="bot"):
        # Three bursts of 25 flood waits of 1 s: about 27 s each, 82 s in all.
        for _ in range(3):
            call = Failing(clock, RetryAfter(1), succeed_after=STORM_RETRIES + 5)
            await send(limiter, call, Priority.REPLY)
    storms = [r for r in caplog.records if "retry storm" in r.getMessage()]
    assert len(storms) == 2  # one at the 20th retry, the next a minute later
    assert "end it all" not in caplog.text and str(CHAT) not in caplog.text


async def test_queued_sends_go_crisis_first_then_replies_then_checkins() -> None:
    gate = PriorityGate(rate=50, capacity=1)
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await gate.acquire(priority)
        order.append(name)

    tasks = [asyncio.create_task(take(f"checkin{i}", Priority.CHECKIN)) for i in range(4)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(take(f"reply{i}", Priority.REPLY)) for i in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(take("crisis", Priority.CRISIS)))
    await asyncio.gather(*tasks)
    # The first check-in found the bucket full and went at once; then the queue, by priority.
    assert order == ["checkin0", "crisis", "reply0", "reply1", "reply2"] + [
        f"checkin{i}" for i in range(1, 4)
    ]


async def test_after_a_global_flood_wait_the_crisis_reply_goes_first() -> None:
    budget = LocalSendBudget(overall_rate=1000, group_per_minute=0, pacer=ChatPacer(0))
    for chat in (1, 2, 3):  # 429s from three chats: the whole bot is held back
        budget.hold(chat, 0.3)
    order: list[str] = []

    async def take(name: str, chat: int, priority: Priority) -> None:
        await budget.acquire(priority, chat, new_message=True)
        order.append(name)

    tasks = [asyncio.create_task(take(f"checkin{i}", 100 + i, Priority.CHECKIN)) for i in range(5)]
    await asyncio.sleep(0.05)
    tasks.append(asyncio.create_task(take("crisis", 200, Priority.CRISIS)))
    await asyncio.sleep(0.1)
    assert order == []  # paused
    await asyncio.gather(*tasks)
    assert order[0] == "crisis"


async def test_a_429_holds_only_its_chat_when_one_chat_is_flooded() -> None:
    budget = LocalSendBudget(overall_rate=1000, group_per_minute=0, pacer=ChatPacer(0))
    budget.hold(1, 5.0)
    await asyncio.wait_for(budget.acquire(Priority.REPLY, 2, new_message=True), 0.5)


# ------------------------------------------------------------------ the HTTP client


async def test_a_cut_off_answer_is_an_unknown_outcome_and_no_body_is_logged(
    api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.truncate("sendMessage", keep=0.6)
    api.fail("sendMessage", 502, "Bad Gateway")
    api.errors[-1].kind = "html"
    bot = Bot(TOKEN, base_url=api.base_url, request=SafeRequest())
    async with bot:
        with caplog.at_level(logging.DEBUG, logger="telegram.request"):
            with pytest.raises(CutOffAnswer):
                await bot.send_message(CHAT, "my secret words")
            with pytest.raises(NetworkError) as html:
                await bot.send_message(CHAT, "my secret words")
    assert "<html>" not in str(html.value) and "502" in str(html.value)
    assert "secret words" not in caplog.text and "<html>" not in caplog.text


# ------------------------------------------------------------------ priorities in the app


class SpyBudget(LocalSendBudget):
    def __init__(self) -> None:
        super().__init__(0, 0, ChatPacer(0))
        self.seen: list[tuple[Priority, Any]] = []

    async def acquire(self, priority: Priority, chat: Any, *, new_message: bool) -> None:
        if new_message:
            self.seen.append((priority, chat))


class _Catalog:
    groups: tuple[Any, ...] = ()
    intents: ClassVar[dict[str, Any]] = {}


class _Resources:
    def countries(self) -> list[tuple[str, str]]:
        return [("US", "United States")]


class CrisisEngine:
    """Just enough engine: "kill myself" is a crisis, anything else a fallback."""

    catalog = _Catalog()
    resources = _Resources()

    def decide(self, text: str, context: Any) -> Any:
        from bot.decision import Decision

        if "kill myself" in text:
            return Decision("crisis", None, 100, reply="Call 988.", crisis_kind="suicide")
        return Decision("fallback", None, 0, reply="I don't know that one yet.")

    def answer_for(self, intent_id: str, context: Any) -> Any:
        from bot.decision import Decision

        return Decision("answer", intent_id, 100, reply=intent_id)

    def help_lines(self, context: Any) -> str:
        return "Call 988."


async def test_crisis_replies_and_help_lines_are_sent_as_crisis_priority(
    sqlite_store: Store,
) -> None:
    request = RecordingRequest()
    settings = Settings(telegram_bot_token=TOKEN, database_url="sqlite:///unused.db")
    app = build_application(
        settings, CrisisEngine(), request=request, updates_request=RecordingRequest()
    )
    spy = SpyBudget()
    app.bot.rate_limiter.budget = spy
    app.bot_data["store"] = sqlite_store
    fake = FakeBotApi()
    async with app:
        await startup(app)
        for i, text in enumerate(["hello", "i want to kill myself", "/crisis"]):
            update = fake.message_update(CHAT, text)
            update["update_id"] = 100 + i
            await app.process_update(Update.de_json(update, app.bot))
        await TelegramSender(app.bot, sqlite_store).send(CHAT, Reply("How are you today?"))
        await shutdown(app)
    sent = list(zip(request.texts(), [p for p, _ in spy.seen], strict=True))
    assert [p for text, p in sent if text == "Call 988."] == [Priority.CRISIS, Priority.CRISIS]
    assert [p for text, p in sent if text == "How are you today?"] == [Priority.CHECKIN]
    others = [p for text, p in sent if text not in ("Call 988.", "How are you today?")]
    assert others and set(others) == {Priority.REPLY}


async def test_an_update_delivered_twice_is_answered_once(sqlite_store: Store) -> None:
    request = RecordingRequest()
    settings = Settings(telegram_bot_token=TOKEN, database_url="sqlite:///unused.db")
    app = build_application(
        settings, CrisisEngine(), request=request, updates_request=RecordingRequest()
    )
    app.bot_data["store"] = sqlite_store
    update = FakeBotApi().message_update(CHAT, "i want to kill myself")
    update["update_id"] = 77
    async with app:
        await startup(app)
        for _ in range(3):
            await app.process_update(Update.de_json(dict(update), app.bot))
        await shutdown(app)
    assert len(request.sent()) == 1
    stats = await sqlite_store.counters.stats()
    assert stats.duplicate_updates == 2
    assert "updates delivered twice by Telegram (answered once): 2" in format_stats(stats)
