"""Throughput of the Telegram adapter: prints updates/s, round trips/s and peak memory.

1. offline: updates through the full Application (``process_update``; a BaseRequest that does
   no network), real engine and catalog, a temporary SQLite store, one core;
2. end to end: long polling against the in-repo fake Bot API server over real HTTP; a person
   writes, the bot's reply arrives (sequential round trips, then many chats at once);
3. peak resident memory of the process.

Run: ``python bench/bench_telegram.py [--updates 3000] [--trips 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_bot_api import TOKEN, FakeBotApi, RecordingRequest, start_fake_api
from telegram import Update

from bot.config import Settings
from bot.telegram.app import build_application, shutdown, startup
from bot.understanding.engine import Engine

PEOPLE = 500
TEXTS = (
    "what is methadone",
    "how do i help my son who uses",
    "why do i get cravings at night",
    "is relapse normal",
    "meds",
    "what's the best pizza topping",
    "hi",
    "what does naloxone do",
)


async def offline(engine: Engine, n: int, db: str) -> float:
    """Updates per second through process_update with no network."""
    request = RecordingRequest()
    request.record = False
    settings = Settings(telegram_bot_token=TOKEN, database_url=db)
    app = build_application(
        settings, engine, request=request, updates_request=RecordingRequest(), limit_rate=False
    )
    fake = FakeBotApi()
    updates = []
    warm = PEOPLE
    for i, text in zip(range(n + warm), itertools.cycle(TEXTS), strict=False):
        data = fake.message_update(10_000 + i % PEOPLE, text)
        data["update_id"] = i + 1
        updates.append(Update.de_json(data, None))
    async with app:
        await startup(app)
        # Warm-up: each person's first message creates their row (one write, once ever).
        for update in updates[:warm]:
            update.set_bot(app.bot)
            await app.process_update(update)
        start = time.perf_counter()
        for update in updates[warm:]:
            update.set_bot(app.bot)
            await app.process_update(update)
        elapsed = time.perf_counter() - start
        await shutdown(app)
    return n / elapsed


async def end_to_end(engine: Engine, trips: int, db: str) -> tuple[float, float, float]:
    """(sequential round trips/s, median latency ms, concurrent round trips/s)."""
    api, runner = await start_fake_api()
    settings = Settings(
        telegram_bot_token=TOKEN, database_url=db, telegram_api_base_url=api.base_url
    )
    app = build_application(settings, engine, limit_rate=False)
    latencies: list[float] = []
    async with app:
        await startup(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        chat = 777
        for i in range(trips):
            t0 = time.perf_counter()
            await api.say(chat, TEXTS[i % len(TEXTS)])
            await api.wait_sent(chat, i + 1, timeout=30)
            latencies.append(time.perf_counter() - t0)
        sequential = trips / sum(latencies)
        # Many people at once: one message each from `trips` different chats.
        t0 = time.perf_counter()
        for i in range(trips):
            await api.say(20_000 + i, TEXTS[i % len(TEXTS)])
        await api.wait_for(
            lambda calls: sum(c.method == "sendMessage" for c in calls) >= 2 * trips, 60
        )
        concurrent = trips / (time.perf_counter() - t0)
        await app.updater.stop()
        await app.stop()
        await shutdown(app)
    await runner.cleanup()
    latencies.sort()
    return sequential, latencies[len(latencies) // 2] * 1000, concurrent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--trips", type=int, default=200)
    args = parser.parse_args()
    engine = Engine.load("US")
    with tempfile.TemporaryDirectory() as tmp:
        rate = asyncio.run(offline(engine, args.updates, f"sqlite:///{tmp}/offline.db"))
        print(f"offline  process_update: {rate:8.0f} updates/s  ({args.updates} updates, 1 core)")
        seq, p50, conc = asyncio.run(end_to_end(engine, args.trips, f"sqlite:///{tmp}/e2e.db"))
        print(f"e2e      sequential:     {seq:8.0f} round trips/s  (median {p50:.1f} ms)")
        print(f"e2e      {args.trips} chats at once: {conc:6.0f} round trips/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS:                {peak:8.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
