"""`recovery-bot stats`: counts from the database, nothing about any one person."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from bot.config import Settings
from bot.storage import CheckinSettings, Store
from bot.storage.stats import run_stats


async def _fill(url: str) -> None:
    store = await Store.open(url)
    await store.people.ensure(918273645, now=datetime.now(timezone.utc))
    await store.people.update(918273645, role="family", consent=True)
    await store.checkins.save(918273645, CheckinSettings())
    for _ in range(8):
        await store.counters.count("message")
    for _ in range(5):
        await store.counters.count("intent_hit", "naloxone")
    await store.counters.count("suggest")
    await store.counters.count("fallback")
    await store.counters.count("fallback")
    await store.counters.count("crisis", "overdose")
    await store.counters.record_feedback("naloxone", True)
    await store.counters.record_feedback("naloxone", False)
    await store.counters.record_feedback("naloxone", True)
    await store.close()


async def test_stats_report_prints_counts(database_url: str) -> None:
    await _fill(database_url)
    out = io.StringIO()
    # run_stats owns its event loop (it is a CLI entry point), so run it in a thread.
    import asyncio

    code = await asyncio.to_thread(run_stats, Settings(database_url=database_url), None, out)
    report = out.getvalue()
    assert code == 0
    assert "users: 1 (family 1)" in report
    assert "active check-ins: 1" in report
    assert "messages: 8" in report
    assert "fallbacks: 2 (fallback rate 25.0%)" in report
    assert "naloxone: 5" in report
    assert "naloxone: 2 / 1" in report
    assert "crisis overdose: 1" in report
    assert "918273645" not in report


def test_stats_on_a_bad_database_url_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_stats(Settings(database_url="mysql://x@y/z")) == 1
    assert "unsupported scheme" in capsys.readouterr().err
