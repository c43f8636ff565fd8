"""Check-in benchmark: 100,000 scheduled people on SQLite, sending through the fake Bot API.

    /work/venv/bin/python bench/bench_checkins.py [--people 100000] [--due 10000]
        [--rate 250] [--batch 50]

Prints: the cost of one dispatcher tick (one claim of ``--batch`` due check-ins, and claiming
all ``--due`` of them batch by batch), the time to send ``--due`` check-ins through
``TelegramSender`` to the in-repo fake Bot API at ``--rate`` per second (the achieved rate
should match: the rate limit, not the code, sets the pace), the same with no rate limit (how
much headroom the code has), and peak memory (max RSS, fake server included).
The deployment default is CHECKIN_SEND_RATE=25/s: 10,000 take 400 s at that rate, so the
default run uses a higher --rate to finish in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_bot_api import TOKEN, start_fake_api
from sqlalchemy import update
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.checkins import texts
from bot.checkins.dispatcher import Claimed, claim_due
from bot.checkins.sender import CheckinSender
from bot.conversation.reply import Reply
from bot.features.checkins import messages
from bot.storage import Store
from bot.storage.schema import checkins
from bot.telegram.delivery import TelegramSender

GRACE = timedelta(minutes=120)
ROWS_PER_INSERT = 5_000


async def populate(store: Store, people: int, due: int, now: datetime) -> None:
    """``people`` daily schedules; the first ``due`` are due now, the rest tomorrow."""
    later = now + timedelta(hours=20)
    for first in range(1, people + 1, ROWS_PER_INSERT):
        rows = [
            {
                "chat_id": chat_id,
                "frequency": "daily",
                "weekday": None,
                "local_time": clock_time(9, 0),
                "timezone": "Europe/London",
                "next_due_at": now - timedelta(seconds=10) if chat_id <= due else later,
                "paused": False,
                "unanswered": 0,
            }
            for chat_id in range(first, min(people, first + ROWS_PER_INSERT - 1) + 1)
        ]
        async with store.transaction() as conn:
            await conn.execute(checkins.insert(), rows)


async def make_due_again(store: Store, due: int, now: datetime) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            update(checkins)
            .where(checkins.c.chat_id <= due)
            .values(next_due_at=now - timedelta(seconds=10), unanswered=0)
        )


class NoUsers:
    async def update_user(self, chat_id: int, **fields: object) -> None:
        return None


async def send_all(
    store: Store, bot: Bot, rate: float, batch: int, now: datetime
) -> tuple[int, float]:
    wording = texts.default()

    def message_for(claimed: Claimed) -> Reply:
        return messages.message_for(wording, claimed)

    sender = CheckinSender(
        store,
        TelegramSender(bot, store),
        NoUsers(),
        message_for,
        rate=rate,
        grace=GRACE,
        batch=batch,
        concurrency=64,
        now=lambda: now,
    )
    t0 = time.perf_counter()
    result = await sender.tick()
    return result.sent, time.perf_counter() - t0


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        now = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        await populate(store, args.people, args.due, now)
        took = time.perf_counter() - t0
        print(f"scheduled {args.people:,} people ({args.due:,} due) in {took:.1f} s")

        t0 = time.perf_counter()
        first = await claim_due(store, now, GRACE, limit=args.batch)
        one = time.perf_counter() - t0
        print(f"one claim of {len(first)} due: {one * 1000:.1f} ms")
        t0 = time.perf_counter()
        total = len(first)
        while True:
            got = await claim_due(store, now, GRACE, limit=args.batch)
            total += len(got)
            if len(got) < args.batch:
                break
        claim_all = time.perf_counter() - t0
        print(
            f"claimed all {total:,} due in batches of {args.batch}: {claim_all:.2f} s "
            f"({total / claim_all:,.0f} claims/s)"
        )

        api, runner = await start_fake_api()
        bot = Bot(TOKEN, base_url=api.base_url, request=HTTPXRequest(connection_pool_size=64))
        try:
            async with bot:
                for label, rate in ((f"--rate {args.rate:g}/s", args.rate), ("no limit", 1e9)):
                    await make_due_again(store, args.due, now)
                    before = len(api.sent())
                    sent, seconds = await send_all(store, bot, rate, args.batch, now)
                    delivered = len(api.sent()) - before
                    print(
                        f"sent {sent:,} check-ins ({delivered:,} reached the fake API) at {label}: "
                        f"{seconds:.1f} s, achieved {sent / seconds:,.1f}/s"
                    )
        finally:
            await runner.cleanup()
            await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS, fake server included): {peak:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=250.0, help="check-ins per second")
    parser.add_argument("--batch", type=int, default=50, help="claim size (2 s at 25/s)")
    asyncio.run(main(parser.parse_args()))
