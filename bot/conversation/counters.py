"""Anonymous counters, buffered: one database write per few seconds instead of per message."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

log = logging.getLogger(__name__)


class CounterBuffer:
    """Adds up (name, key) counts in memory and writes them with ``store.counters.count(n=...)``.

    A flush happens on the first count after ``interval`` seconds, when ``max_pending``
    distinct counters wait, and at shutdown. A crash loses at most a few seconds of counts:
    acceptable for analytics, and it keeps the hot path free of writes.
    """

    def __init__(self, store: Any, interval: float = 5.0, max_pending: int = 200) -> None:
        self.store = store
        self.interval = interval
        self.max_pending = max_pending
        self.pending: Counter[tuple[str, str]] = Counter()
        self._last = time.monotonic()
        self._flushes: set[asyncio.Task[None]] = set()

    def add_later(self, name: str, key: str = "") -> None:
        """Count one event; a due flush runs in the background (the crisis path never waits)."""
        self.pending[(name, key)] += 1
        now = time.monotonic()
        if len(self.pending) >= self.max_pending or now - self._last >= self.interval:
            self._last = now
            task = asyncio.get_running_loop().create_task(self._write())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def add(self, name: str, key: str = "") -> None:
        """Count one event; maybe flush."""
        self.pending[(name, key)] += 1
        now = time.monotonic()
        if len(self.pending) >= self.max_pending or now - self._last >= self.interval:
            await self.flush()

    async def flush(self) -> None:
        """Write everything pending (and wait for background flushes)."""
        if self._flushes:
            await asyncio.gather(*list(self._flushes), return_exceptions=True)
        await self._write()

    async def _write(self) -> None:
        self._last = time.monotonic()
        pending, self.pending = self.pending, Counter()
        for (name, key), n in pending.items():
            try:
                await self.store.counters.count(name, key, n=n)
            except Exception:
                log.exception("could not write counter %s", name)
