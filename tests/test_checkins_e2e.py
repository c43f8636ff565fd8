"""End to end: a check-in due now reaches the person through the real ``recovery-bot run``.

The schedule is written into the SQLite file before the bot starts (as another instance or
an earlier run would have left it); the bot's APScheduler tick claims and sends it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from bot_process import Person, bot_env, buttons, start_bot, stop_bot
from fake_bot_api import FakeBotApi

from bot.storage import CheckinSettings, Store

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

PERSON = 5557001


async def test_due_checkin_is_sent_answered_and_help_now_gives_crisis_lines(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    store = await Store.open(f"sqlite:///{db}")
    try:
        await store.people.update(PERSON, country="US", timezone="America/New_York")
        due = datetime.now(timezone.utc) - timedelta(seconds=5)
        await store.checkins.save(
            PERSON,
            CheckinSettings(
                frequency="daily",
                local_time=time(9, 0),
                timezone="America/New_York",
                next_due_at=due,
            ),
        )
    finally:
        await store.close()

    proc = await start_bot(bot_env(api, db, CHECKIN_TICK_SECONDS="1"))
    try:
        (checkin,) = await api.wait_sent(PERSON, 1, timeout=30)
        assert checkin.params["text"].startswith("How are you doing today?")
        assert "/checkin" in checkin.params["text"]
        assert "v1:ci:m:help" in buttons(checkin)

        me = Person(api, PERSON)
        (good,) = await me.press("v1:ci:m:good")
        assert "glad" in good.params["text"] and "v1:ci:c:2" in buttons(good)
        (noted,) = await me.press("v1:ci:c:2")
        assert "Noted" in noted.params["text"]
        (crisis,) = await me.press("v1:ci:m:help")
        assert "988" in crisis.params["text"] and "911" in crisis.params["text"]
        assert len(api.sent(PERSON)) == 4  # the check-in was sent once, not again per tick
    finally:
        code, err = await stop_bot(proc)
    assert code == 0, err[-2000:]
    assert "Traceback" not in err, err[-2000:]

    store = await Store.open(f"sqlite:///{db}")
    try:
        since = datetime(2000, 1, 1, tzinfo=timezone.utc)
        answers = await store.checkins.answers(PERSON, since)
        assert [(a.mood, a.craving) for a in answers] == [
            ("good", None),
            ("craving", 2),
            ("help", None),
        ]
        settings = await store.checkins.get(PERSON)
        assert settings is not None and settings.unanswered == 0
        assert settings.next_due_at is not None and settings.next_due_at > due
    finally:
        await store.close()
