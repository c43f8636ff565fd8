"""Storage benchmark: 100,000 users on SQLite and on a throwaway PostgreSQL.

    /work/venv/bin/python bench/bench_storage.py [--users 100000] [--backend sqlite|postgres|both]

Prints insert time, get_user latency (p50/p99), the storage cost of handling one message
(ensure_user + one counter increment) and the size of the database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.storage import Store
from bot.storage.pgserver import PgServer
from bot.storage.schema import users

BATCH = 5_000
BASE_ID = 10_000_000


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _timed(n: int, op: Callable[[int], Coroutine[Any, Any, object]]) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        await op(i)
        out.append((time.perf_counter() - t) * 1e6)
    return out


async def bench(name: str, url: str, n_users: int, samples: int) -> dict[str, str]:
    store = await Store.open(url)
    today = date.today()
    t0 = time.perf_counter()
    for start in range(0, n_users, BATCH):
        rows = [
            {
                "chat_id": BASE_ID + i,
                "role": ("recovery", "family", "supporter")[i % 3],
                "country": "US",
                "timezone": "America/New_York",
                "consent": True,
                "active": True,
                "created_on": today,
                "last_seen": today,
            }
            for i in range(start, min(start + BATCH, n_users))
        ]
        async with store.engine.begin() as conn:
            await conn.execute(users.insert(), rows)
    bulk = time.perf_counter() - t0

    new_ids = iter(range(BASE_ID + n_users, BASE_ID + n_users + samples))
    ensure_new = await _timed(samples, lambda _i: store.people.ensure(next(new_ids)))

    rng = random.Random(1)
    ids = [BASE_ID + rng.randrange(n_users) for _ in range(samples)]
    lookup = await _timed(samples, lambda i: store.people.get(ids[i]))

    async def one_message(i: int) -> None:
        await store.people.ensure(ids[i])
        await store.counters.count("message")

    per_message = await _timed(samples, one_message)

    if store.target.sqlite_path is not None:
        async with store.engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = store.target.sqlite_path
        size = sum(
            p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    else:
        async with store.engine.connect() as conn:
            size = (
                await conn.execute(text("SELECT pg_database_size(current_database())"))
            ).scalar_one()
    await store.close()
    return {
        "backend": name,
        "bulk insert": f"{n_users:,} users in {bulk:.2f} s ({n_users / bulk:,.0f}/s)",
        "ensure_user (new) p50/p99": (
            f"{_pct(ensure_new, 0.5):,.0f} / {_pct(ensure_new, 0.99):,.0f} µs"
        ),
        "get_user p50/p99": f"{_pct(lookup, 0.5):,.0f} / {_pct(lookup, 0.99):,.0f} µs",
        "per message p50/p99 (mean)": (
            f"{_pct(per_message, 0.5):,.0f} / {_pct(per_message, 0.99):,.0f} µs "
            f"({statistics.fmean(per_message):,.0f})"
        ),
        "database size": f"{size / 1e6:.1f} MB ({size / n_users:.0f} B/user)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=3_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            results.append(asyncio.run(bench("SQLite", url, args.users, args.samples)))
    if args.backend in ("postgres", "both"):
        with PgServer() as pg:
            url = pg.create_database("bench")
            results.append(asyncio.run(bench("PostgreSQL", url, args.users, args.samples)))
    for r in results:
        print(f"== {r.pop('backend')} ==")
        for key, value in r.items():
            print(f"  {key:<28} {value}")


if __name__ == "__main__":
    main()
