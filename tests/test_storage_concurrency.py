"""Two processes writing the same database at once lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from bot.storage import Stats, Store

N = 150

# Each worker starts on a database nobody has opened yet, so migrations race as well.
_WORKER = """
import asyncio, sys
from bot.storage import Store
async def main(url, base, n):
    store = await Store.open(url, busy_timeout=30)
    for i in range(n):
        await store.people.ensure(1)            # the same person from both processes
        await store.people.ensure(base + i)     # and different people
        await store.counters.count("message")
        await store.counters.count("intent_hit", "tolerance", n=2)
        await store.counters.record_feedback("tolerance", i % 2 == 0)
        await store.people.update(base + i, role="family")
    await store.close()
asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def _stats(url: str) -> Stats:
    store = await Store.open(url)
    try:
        return await store.counters.stats()
    finally:
        await store.close()


def test_two_processes_writing_at_once_lose_nothing(database_url: str) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, database_url, str(base), str(N)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for base in (1_000_000, 2_000_000)
    ]
    for w in workers:
        _out, err = w.communicate(timeout=240)
        assert w.returncode == 0, err[-2000:]

    stats = asyncio.run(_stats(database_url))
    assert stats.users == 2 * N + 1
    assert stats.users_by_role == {"family": 2 * N, "unset": 1}
    assert stats.messages == 2 * N
    assert stats.answers_per_intent == {"tolerance": 4 * N}
    assert stats.feedback_per_intent == {"tolerance": (N + N % 2, N - N % 2)}
