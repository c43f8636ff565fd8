"""Several instances for real (issue #16): 1, 2 and 3 webhook instances on one PostgreSQL.

Each run starts ``recovery-bot run`` processes in webhook mode behind a round-robin proxy that
moves every person to the next instance on each message (tests/instances.py), one fake Bot API
that records when each message reaches it, and a throwaway PostgreSQL (bot/storage/pgserver.py).

Scenarios:

* ``load`` with 1, 2 and 3 instances: ``--checkins`` due check-ins (default 1,000) and
  ``--people`` people asking a question at the same moment (default 300; every 16th is a
  crisis message);
* ``kill`` with 3 instances: the same load plus people who go through a whole safety plan and
  a whole check-in set-up, hopping instances on every message; one instance is killed
  (SIGKILL) two seconds in.

Printed per run: reply latency (message posted to the first reply at the fake Telegram),
p50/p99 for questions and p50/p99/max for crisis messages; for crisis messages also the time
inside the bot (from the update's arrival at the proxy, which forwards it at once, to the reply: the
posted time adds the wait for one of the sender's 100 connections, each busy until an
instance answers 200, as Telegram's ``max_connections`` are); the most sends in any sliding second,
messages delivered per second while the run lasted, flows lost, answers lost, and check-ins
sent twice or never.

``--budget redis`` keeps the send budget in a throwaway Redis (``REDIS_URL``) instead of the
database; everything else stays in PostgreSQL.

Run: ``python bench/bench_instances.py [--checkins 1000] [--people 300] [--only load,kill]
[--budget postgres|redis]`` (a few minutes; needs Debian's ``postgresql`` package, as the tests
do, and ``redis-server`` for ``--budget redis``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_bot_api import start_fake_api
from instances import (
    CRISIS,
    QUESTIONS,
    Cluster,
    Outcome,
    Telegram,
    add_due_checkins,
    checkin_setup_person,
    checkins_per_instance,
    percentile,
    question_person,
    safety_plan_person,
    sends_in_worst_second,
)

from bot.storage.pgserver import PgServer
from bot.storage.redisserver import RedisServer

BUDGET = 25
TIMEOUT = 240.0


@dataclass
class Result:
    name: str
    instances: int
    reply_p50: float
    reply_p99: float
    crisis_p50: float
    crisis_p99: float
    crisis_max: float
    crisis_in_bot_p50: float
    crisis_in_bot_max: float
    worst_second: int
    per_second: float
    flows_lost: int
    answers_lost: int
    checkin_dupes: int
    checkins_lost: int
    duration: float
    split: list[int]
    resent: int


async def run(
    pg: PgServer,
    name: str,
    n: int,
    people: int,
    due: int,
    kill: bool,
    flows: int,
    redis_url: str | None = None,
) -> Result:
    pg_url = await asyncio.to_thread(pg.create_database)
    budget_env = {"REDIS_URL": redis_url} if redis_url else {}
    base = 8_000_000_000
    due_ids = range(base + 1, base + 1 + due)
    askers = range(base + 100_001, base + 100_001 + people)
    plans = range(base + 200_001, base + 200_001 + flows)
    setups = range(base + 300_001, base + 300_001 + flows)
    await add_due_checkins(pg_url, due_ids)
    api, runner = await start_fake_api()
    with tempfile.TemporaryDirectory() as folder:
        cluster = Cluster(
            api,
            pg_url,
            Path(folder),
            n,
            log_level="INFO",
            SEND_BUDGET=str(BUDGET),
            INBOX_LEASE_SECONDS="5",
            CHECKIN_CLAIM_SECONDS="10",
            CHECKIN_TICK_SECONDS="1",
            CHECKIN_SEND_RATE=str(BUDGET),
            **budget_env,
        )
        await cluster.start()
        start = time.monotonic()
        try:
            async with Telegram(api, cluster.proxy.port) as tg:
                tg.arrived = cluster.proxy.arrived
                tasks: list[asyncio.Task[Outcome]] = []
                for i, chat in enumerate(askers):
                    text = CRISIS if i % 16 == 0 else QUESTIONS[i % len(QUESTIONS)]
                    tasks.append(asyncio.create_task(question_person(tg, chat, text, TIMEOUT)))
                tasks += [asyncio.create_task(safety_plan_person(tg, c, TIMEOUT)) for c in plans]
                tasks += [asyncio.create_task(checkin_setup_person(tg, c, TIMEOUT)) for c in setups]
                if kill:
                    await asyncio.sleep(2.0)
                    cluster.kill(1)
                outcomes = await asyncio.gather(*tasks)
                resent = tg.retries
                deadline = time.monotonic() + TIMEOUT
                while not all(tg.sent.of(c) for c in due_ids):
                    if time.monotonic() > deadline:
                        print(f"  ({name}: not every check-in was sent within {TIMEOUT:.0f} s)")
                        break
                    await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)
        finally:
            await cluster.stop()
            await api.close()
            await runner.cleanup()
    warnings = Counter(
        line.split(": ", 1)[-1][:120]
        for log in cluster.logs
        for line in log.splitlines()
        if (" WARNING " in line or " ERROR " in line) and "apscheduler" not in line
    )
    for line, count in warnings.most_common(5):
        print(f"  ({name}, {n} instances: {count} x {line})")
    sends = [c for c in api.sent() if "_failed" not in c.params]
    duration = max(c.at for c in sends) - start if sends else float("nan")
    copies = Counter(c.params["chat_id"] for c in sends)
    replies = [o.latencies[0] for o in outcomes if o.kind == "question" and o.latencies]
    crisis = [o.latencies[0] for o in outcomes if o.kind == "crisis" and o.latencies]
    crisis_in_bot = [o.in_bot[0] for o in outcomes if o.kind == "crisis" and o.in_bot]
    return Result(
        name=name,
        instances=n,
        reply_p50=percentile(replies, 50),
        reply_p99=percentile(replies, 99),
        crisis_p50=percentile(crisis, 50),
        crisis_p99=percentile(crisis, 99),
        crisis_max=max(crisis) if crisis else float("nan"),
        crisis_in_bot_p50=percentile(crisis_in_bot, 50),
        crisis_in_bot_max=max(crisis_in_bot) if crisis_in_bot else float("nan"),
        worst_second=sends_in_worst_second(api),
        per_second=len(sends) / duration if duration else float("nan"),
        flows_lost=sum(1 for o in outcomes if o.kind not in ("question", "crisis") and not o.ok),
        answers_lost=sum(1 for o in outcomes if o.kind in ("question", "crisis") and not o.ok),
        checkin_dupes=sum(1 for c in due_ids if copies[c] > 1),
        checkins_lost=sum(1 for c in due_ids if copies[c] == 0),
        duration=duration,
        split=checkins_per_instance(cluster.logs),
        resent=resent,
    )


def show(results: list[Result]) -> None:
    print(
        "| run | instances | reply p50 / p99 | crisis p50 / p99 / max | "
        "crisis in the bot p50 / max | "
        "max sends in 1 s | "
        "sends/s | flows lost | answers lost | check-ins twice / never | all sent after | "
        "check-ins per instance | updates Telegram sent again |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.name} | {r.instances} | {r.reply_p50:.2f} s / {r.reply_p99:.2f} s | "
            f"{r.crisis_p50:.2f} s / {r.crisis_p99:.2f} s / {r.crisis_max:.2f} s | "
            f"{r.crisis_in_bot_p50:.2f} s / {r.crisis_in_bot_max:.2f} s | {r.worst_second} | "
            f"{r.per_second:.1f} | {r.flows_lost} | {r.answers_lost} | "
            f"{r.checkin_dupes} / {r.checkins_lost} | {r.duration:.0f} s | "
            f"{' + '.join(map(str, r.split))} | {r.resent} |"
        )


async def main(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    pg = await asyncio.to_thread(PgServer().start)
    redis = await asyncio.to_thread(RedisServer().start) if args.budget == "redis" else None
    runs = iter(range(16))  # a Redis database of its own for each run

    def redis_url() -> str | None:
        return redis.url(next(runs)) if redis else None

    tag = f" ({args.budget})" if redis else ""
    results: list[Result] = []
    try:
        if "load" in only:
            for n in (int(k) for k in args.instances.split(",")):
                results.append(
                    await run(
                        pg,
                        "load" + tag,
                        n,
                        args.people,
                        args.checkins,
                        kill=False,
                        flows=0,
                        redis_url=redis_url(),
                    )
                )
                show(results[-1:])
        if "kill" in only:
            results.append(
                await run(
                    pg,
                    "kill" + tag,
                    3,
                    args.people,
                    args.checkins,
                    kill=True,
                    flows=args.flows,
                    redis_url=redis_url(),
                )
            )
            show(results[-1:])
    finally:
        await asyncio.to_thread(pg.stop)
        if redis:
            await asyncio.to_thread(redis.stop)
    print()
    show(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkins", type=int, default=1000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--flows", type=int, default=20, help="plans and set-ups, each")
    parser.add_argument("--only", default="load,kill")
    parser.add_argument("--instances", default="1,2,3", help="instance counts of the load runs")
    parser.add_argument(
        "--budget",
        choices=("postgres", "redis"),
        default="postgres",
        help="where the instances share the send budget (redis: a throwaway redis-server)",
    )
    asyncio.run(main(parser.parse_args()))
