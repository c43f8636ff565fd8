"""The send budget in Redis (``REDIS_URL``, issue #16), on a real throwaway ``redis-server``.

The behaviour both backends share (spacing, lanes, horizons, the shared pause, the sliding
second) is tested on each in tests/test_shared_budget.py. Here: what is Redis's own (the
server's clock, keys that expire), a Redis that goes away and comes back (sends are paced
in-process meanwhile, with one warning that shows no password), the setting, and three real
instances sharing one budget in Redis.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fake_bot_api import FakeBotApi
from instances import (
    CRISIS,
    QUESTIONS,
    Cluster,
    Outcome,
    Telegram,
    add_due_checkins,
    question_person,
    sends_in_worst_second,
)
from sqlalchemy import text

from bot.config import ConfigError, Settings
from bot.doctor import FAIL, OK, WARN, Doctor
from bot.storage import Store
from bot.storage.budget import Slot
from bot.storage.redis_budget import KEEP_SECONDS, KEY_PREFIX, RedisSendBudgets
from bot.storage.redisserver import RedisServer, free_port
from bot.telegram import shared_budget
from bot.telegram.app import build_application, shared_slots, shutdown
from bot.telegram.budget import Priority
from bot.telegram.shared_budget import SharedSendBudget

ROOT = Path(__file__).resolve().parent.parent
BOT = 77
INTERVAL = 1 / 20
PASSWORD = "s3cret-Redis-pw"


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[RedisSendBudgets]]:
    """Three instances' clients (each its own connections) on the session's Redis."""
    opened = [RedisSendBudgets.open(redis_url) for _ in range(3)]
    try:
        yield opened
    finally:
        for client in opened:
            await client.close()


async def server_time(client: RedisSendBudgets) -> float:
    seconds, micros = await client.client.time()
    return float(seconds) + micros / 1e6


@pytest.mark.redis
async def test_slots_from_three_clients_are_one_interval_apart_by_the_servers_clock(
    clients: list[RedisSendBudgets],
) -> None:
    # Each client opens its connection first: a connection made during the burst (once 0.36 s
    # on a busy CI machine) lets the first slot pass before the next take arrives.
    for client in clients:
        await client.client.ping()
    before = await server_time(clients[0])
    slots: list[Slot] = await asyncio.gather(
        *(clients[i % 3].take(BOT, INTERVAL, 1e9) for i in range(90))
    )
    after = await server_time(clients[0])
    assert all(s.granted for s in slots)
    assert all(before <= s.now <= after for s in slots)  # Redis's TIME, not this process's
    times = sorted(s.at for s in slots)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Never two sends closer than the interval; booked back to back once the burst is queued
    # (a stall of the test process may leave a longer gap, never a shorter one).
    assert all(gap > INTERVAL - 1e-6 for gap in gaps), min(gaps)
    assert sum(abs(gap - INTERVAL) < 1e-6 for gap in gaps) >= len(gaps) - 3, max(gaps)
    assert times[0] >= before


@pytest.mark.redis
async def test_the_tokens_hash_is_the_only_key_and_expires_a_minute_after_its_last_slot(
    clients: list[RedisSendBudgets],
) -> None:
    client = clients[0]
    last = None
    for _ in range(40):  # two seconds' worth booked ahead
        last = await client.take(BOT, INTERVAL, 1e9)
    assert last is not None
    ttl = await client.client.pttl(client.key(BOT))
    ahead = last.at + INTERVAL - last.now
    assert ahead > 1.5
    # Its last slot plus a minute (less the moments between the take and this question).
    assert (ahead + KEEP_SECONDS - 1) * 1000 <= ttl <= (ahead + KEEP_SECONDS) * 1000 + 1
    await client.pause(BOT, 300)
    assert await client.client.pttl(client.key(BOT)) > (300 + KEEP_SECONDS - 1) * 1000
    assert await client.client.keys("*") == [f"{KEY_PREFIX}{BOT}".encode()]


@pytest.mark.redis
async def test_an_expired_hash_is_a_budget_with_every_slot_free(
    clients: list[RedisSendBudgets],
) -> None:
    client = clients[1]
    for _ in range(10):
        await client.take(BOT, INTERVAL, 1e9)
    assert not (await client.take(BOT, INTERVAL, 0.0)).granted  # booked ahead
    await client.client.delete(client.key(BOT))  # what its expiry does
    slot = await client.take(BOT, INTERVAL, 0.0, lead=0.05)
    assert slot.granted and slot.at == pytest.approx(slot.now + 0.05, abs=1e-6)


def counting(budget: SharedSendBudget) -> Counter[str]:
    """Wrap the budget's slots; the counter gets each request that reached Redis's client."""
    real = budget.budgets
    calls: Counter[str] = Counter()

    def wrap(name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return await getattr(real, name)(*args, **kwargs)

        return call

    budget.budgets = SimpleNamespace(  # type: ignore[assignment]
        shared=True, take=wrap("take"), take_crisis=wrap("take_crisis"), pause=wrap("pause")
    )
    return calls


@pytest.mark.redis
async def test_a_redis_that_goes_away_paces_sends_here_with_one_warning_then_comes_back(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(shared_budget, "FALL_BACK_AFTER", 0.3)
    monkeypatch.setattr(shared_budget, "RETRY_AFTER", 60.0)
    server = RedisServer(password=PASSWORD).start()  # its own: this test stops it
    port = server.port
    client = RedisSendBudgets.open(server.url())
    budget = SharedSendBudget(client, BOT, 25.0)
    calls = counting(budget)
    caplog.set_level(logging.INFO, logger="bot.telegram.shared_budget")
    try:
        await budget.acquire(Priority.REPLY, 1, new_message=True)
        assert calls["take"] == 1

        server.stop()
        await budget.acquire(Priority.REPLY, 2, new_message=True)  # asks for 0.3 s, then alone
        asked = calls["take"]
        assert asked >= 2
        for chat in range(3, 8):  # within RETRY_AFTER: alone at once, without asking
            await budget.acquire(Priority.REPLY, chat, new_message=True)
        budget.hold(3, 1.0)  # a 429 meanwhile: this process waits it out
        await asyncio.sleep(0.05)
        assert calls["pause"] == 1 and budget.fallback._paused_until > 0
        monkeypatch.setattr(shared_budget, "RETRY_AFTER", 0.0)
        budget.prebook(8)  # no slot booked ahead while Redis is away
        await budget.acquire(Priority.CRISIS, 8, new_message=True)  # never waits on a probe
        assert calls["take"] == asked and calls["take_crisis"] == 0

        server.start(port=port)  # back, on the same address
        await budget.acquire(Priority.REPLY, 9, new_message=True)  # this one asks again
        assert calls["take"] == asked + 1
        await budget.acquire(Priority.CRISIS, 10, new_message=True)
        assert calls["take_crisis"] == 1
        assert await client.client.exists(client.key(BOT))
    finally:
        await client.close()
        server.stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "pacing sends in this process only" in warnings[0].message
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert PASSWORD not in caplog.text and str(port) not in caplog.text


def test_redis_url_is_read_checked_and_never_shown() -> None:
    url = f"redis://:{PASSWORD}@cache.internal:6379/2"
    settings = Settings.from_env({"REDIS_URL": f"  {url} "})
    assert settings.redis_url == url
    assert PASSWORD not in repr(settings)
    assert Settings.from_env({}).redis_url is None
    assert Settings.from_env({"REDIS_URL": "rediss://h:6380"}).redis_url == "rediss://h:6380"
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"REDIS_URL": f"http://:{PASSWORD}@cache.internal"})
    assert "REDIS_URL" in str(err.value) and PASSWORD not in str(err.value)


@pytest.mark.redis
async def test_the_application_takes_its_slots_from_redis_when_redis_url_is_set(
    redis_url: str,
) -> None:
    settings = Settings(telegram_bot_token="123:abc", redis_url=redis_url)
    app = build_application(settings, engine=object(), open_store=False)  # type: ignore[arg-type]
    store = SimpleNamespace(budget="the database's row")
    slots = shared_slots(app, settings, store)
    assert isinstance(slots, RedisSendBudgets) and app.bot_data["redis_budget"] is slots
    assert (await slots.take(BOT, INTERVAL, 0.0)).granted
    await shutdown(app)
    assert "redis_budget" not in app.bot_data
    no_redis = Settings(telegram_bot_token="123:abc")
    assert shared_slots(app, no_redis, store) == "the database's row"


@pytest.mark.redis
def test_doctor_says_whether_redis_answers_and_never_shows_its_password(
    redis_server: RedisServer,
) -> None:
    base = {"DATABASE_URL": "postgresql://u@db.internal/bot"}
    checks = list(
        Doctor({**base, "REDIS_URL": redis_server.url()}).redis(
            Settings.from_env({**base, "REDIS_URL": redis_server.url()})
        )
    )
    assert [(c.name, c.status) for c in checks] == [("redis", OK)]
    dead = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    env = {**base, "REDIS_URL": dead}
    (check,) = Doctor(env, http_timeout=2.0).redis(Settings.from_env(env))
    assert check.status == FAIL and "127.0.0.1" in check.message
    assert PASSWORD not in check.message + check.fix
    sqlite = {"REDIS_URL": dead, "DATABASE_URL": "sqlite:////tmp/x.db"}
    (check,) = Doctor(sqlite).redis(Settings.from_env(sqlite))
    assert check.status == WARN and PASSWORD not in check.message
    assert list(Doctor(base).redis(Settings.from_env(base))) == []


def _run_redis_test(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess[str]:
    broken = tmp_path / "redis-server"
    broken.write_text("#!/bin/sh\necho 'simulated broken install' >&2\nexit 1\n")
    broken.chmod(0o755)
    env = {**os.environ, "REDIS_SERVER": str(broken)}
    env.pop("REQUIRE_REDIS", None)
    if require is not None:
        env["REQUIRE_REDIS"] = require
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/test_redis_budget.py",
            "-k",
            "expired_hash",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_redis_server_redis_cases_skip_or_fail_under_require_redis(
    tmp_path: Path,
) -> None:
    out = _run_redis_test(tmp_path, None)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 skipped" in out.stdout
    assert "Redis test server could not start" in out.stdout
    assert "REQUIRE_REDIS=1" in out.stdout
    out = _run_redis_test(tmp_path, "1")
    assert out.returncode != 0
    assert "error" in out.stdout or "failed" in out.stdout
    assert "Redis test server could not start" in out.stdout


BUDGET = 25
ASKERS = range(7_600_001, 7_600_041)
DUE = range(7_700_001, 7_700_041)


@pytest.mark.postgres
@pytest.mark.redis
async def test_three_instances_share_one_send_budget_in_redis(
    api: FakeBotApi, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Real processes, REDIS_URL set: every answer, crisis reply and due check-in goes out,
    no second holds more than the budget, and the slots came from Redis, not the database."""
    await add_due_checkins(pg_url, DUE)
    cluster = Cluster(
        api,
        pg_url,
        tmp_path,
        3,
        SEND_BUDGET=str(BUDGET),
        REDIS_URL=redis_url,
        CHECKIN_TICK_SECONDS="1",
    )
    await cluster.start()
    try:
        async with Telegram(api, cluster.proxy.port) as tg:
            people: list[asyncio.Task[Outcome]] = [
                asyncio.create_task(
                    question_person(tg, c, CRISIS if i % 8 == 0 else QUESTIONS[i % 5], 30)
                )
                for i, c in enumerate(ASKERS)
            ]
            outcomes = await asyncio.gather(*people)
        assert [(o.kind, o.chat_id, o.detail) for o in outcomes if not o.ok] == []
        await api.wait_for(lambda _: all(api.sent(c) for c in DUE), 40)
        assert sends_in_worst_second(api) <= BUDGET
        probe = RedisSendBudgets.open(redis_url)
        try:
            assert await probe.client.keys(f"{KEY_PREFIX}*")
        finally:
            await probe.close()
        store = await Store.open(pg_url)
        try:
            async with store.coordination() as conn:
                rows = (await conn.execute(text("SELECT count(*) FROM send_budget"))).scalar()
        finally:
            await store.close()
        assert rows == 0  # no instance took a slot from the database
    finally:
        await cluster.stop()
    assert cluster.errors == []
