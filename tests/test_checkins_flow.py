"""Check-ins as a person meets them: /checkin set-up, the check-in buttons, /progress.

Runs through the transport-neutral Conversation with the real engine and a SQLite store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.conversation import Chat, Conversation, Reply
from bot.features import safety_plan
from bot.features.checkins import CheckinFeature, register
from bot.storage import CheckinSettings, Store
from bot.understanding.engine import Engine

ME = Chat(4242, "private", 4242)
GROUP = Chat(-100777, "group", 4242)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("US")


@pytest.fixture
async def conv(engine: Engine, sqlite_store: Store) -> AsyncIterator[Conversation]:
    conversation = Conversation(engine, sqlite_store, Settings(default_country="US"))
    register(conversation)
    safety_plan.register(conversation)
    yield conversation


def acts(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.all_buttons()]


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def settings_of(conv: Conversation) -> CheckinSettings:
    found: CheckinSettings | None = await conv.store.checkins.get(ME.id)
    assert found is not None
    return found


async def set_up_daily_london(conv: Conversation) -> list[Reply]:
    await conv.update_user(ME.id, country="GB")
    await conv.handle_command(ME, "checkin")
    await conv.handle_action(ME, "v1:ci:f:daily")
    await conv.handle_action(ME, "v1:ci:t:daily:-:0900")
    return await conv.handle_action(ME, "v1:ci:z:daily:-:0900:Europe/London")


async def test_daily_at_nine_london_is_saved_with_its_next_time(conv: Conversation) -> None:
    await conv.update_user(ME.id, country="GB")
    intro = await conv.handle_command(ME, "checkin")
    assert "off unless you turn them on" in text(intro)
    assert {"v1:ci:f:daily", "v1:ci:f:weekdays", "v1:ci:f:weekly", "v1:ci:f:off"} <= set(
        acts(intro)
    )
    times = await conv.handle_action(ME, "v1:ci:f:daily")
    assert "v1:ci:t:daily:-:0900" in acts(times) and "09:00" in text(times)
    zones = await conv.handle_action(ME, "v1:ci:t:daily:-:0900")
    # The guess from the person's country comes first, then a short common list.
    assert acts(zones)[0] == "v1:ci:z:daily:-:0900:Europe/London"
    assert "v1:ci:zt:daily:-:0900" in acts(zones)
    before = datetime.now(timezone.utc)
    saved = await conv.handle_action(ME, "v1:ci:z:daily:-:0900:Europe/London")
    assert "Every day at 09:00 (Europe/London)" in text(saved) and "/checkin" in text(saved)
    s = await settings_of(conv)
    assert (s.frequency, s.weekday, s.local_time, s.timezone) == (
        "daily",
        None,
        time(9, 0),
        "Europe/London",
    )
    assert s.next_due_at is not None and not s.paused
    assert before < s.next_due_at <= before + timedelta(days=1, hours=1)
    assert s.next_due_at.astimezone(ZoneInfo("Europe/London")).time() == time(9, 0)
    user = await conv.store.people.get(ME.id)
    assert user is not None and user.timezone == "Europe/London"


async def test_weekly_with_typed_time_and_typed_zone(conv: Conversation) -> None:
    await conv.handle_command(ME, "checkin")
    days = await conv.handle_action(ME, "v1:ci:f:weekly")
    assert "v1:ci:w:2" in acts(days)
    await conv.handle_action(ME, "v1:ci:w:2")
    zones = await conv.handle_text(ME, "7:30 pm")
    assert any(a.startswith("v1:ci:z:weekly:2:1930:") for a in acts(zones))
    saved = await conv.handle_text(ME, "america/chicago")
    assert "Once a week (Wednesday) at 19:30 (America/Chicago)" in text(saved)
    s = await settings_of(conv)
    assert (s.frequency, s.weekday, s.local_time) == ("weekly", 2, time(19, 30))
    assert s.next_due_at is not None
    local = s.next_due_at.astimezone(ZoneInfo("America/Chicago"))
    assert local.weekday() == 2 and local.time() == time(19, 30)


async def test_bad_time_gets_a_kind_reply_and_another_try(conv: Conversation) -> None:
    await conv.handle_command(ME, "checkin")
    await conv.handle_action(ME, "v1:ci:f:weekdays")
    (kind,) = await conv.handle_text(ME, "around lunch maybe")
    assert "That's okay" in kind.text and "09:00" in kind.text
    assert "lunch" not in kind.text  # never repeats what was typed
    assert "v1:ci:t:weekdays:-:1200" in acts([kind])
    (kind2,) = await conv.handle_text(ME, "25:00")
    assert "couldn't read" in kind2.text
    zones = await conv.handle_text(ME, "12.15")
    assert any(a.startswith("v1:ci:z:weekdays:-:1215:") for a in acts(zones))
    (bad_zone,) = await conv.handle_text(ME, "Mars/Olympus")
    assert "don't know that time zone" in bad_zone.text
    saved = await conv.handle_text(ME, "london")
    assert "Weekdays (Mon-Fri) at 12:15 (Europe/London)" in text(saved)
    assert await conv.store.checkins.answers(ME.id, EPOCH) == []  # typed text is never stored


async def test_crisis_text_during_set_up_gets_the_crisis_reply_first(conv: Conversation) -> None:
    await conv.handle_command(ME, "checkin")
    await conv.handle_action(ME, "v1:ci:f:daily")
    replies = await conv.handle_text(ME, "i want to kill myself")
    assert "988" in replies[0].text
    assert "couldn't read" not in text(replies)


async def test_pause_resume_and_stop(conv: Conversation) -> None:
    await set_up_daily_london(conv)
    status = await conv.handle_command(ME, "checkin")
    assert "The next one comes" in text(status)
    assert {"v1:ci:pause", "v1:ci:stop", "v1:ci:change", "v1:ci:now"} <= set(acts(status))
    paused = await conv.handle_action(ME, "v1:ci:pause")
    assert "paused" in text(paused) and "/checkin" in text(paused)
    assert (await settings_of(conv)).paused
    status = await conv.handle_command(ME, "checkin")
    assert "paused" in text(status) and "v1:ci:resume" in acts(status)
    # Three unanswered, then the person comes back: the streak starts again.
    s = await settings_of(conv)
    await conv.store.checkins.save(ME.id, replace(s, unanswered=3))
    resumed = await conv.handle_action(ME, "v1:ci:resume")
    assert "on again" in text(resumed)
    s = await settings_of(conv)
    assert not s.paused and s.unanswered == 0 and s.next_due_at is not None
    stopped = await conv.handle_command(ME, "checkin", "stop")
    assert "off" in text(stopped)
    s = await settings_of(conv)
    assert s.frequency == "off" and s.next_due_at is None
    again = await conv.handle_command(ME, "checkin")
    assert "v1:ci:f:daily" in acts(again)
    assert "no check-ins" in text(await conv.handle_action(ME, "v1:ci:f:off"))


async def test_checkin_is_private_only(conv: Conversation) -> None:
    (reply,) = await conv.handle_command(GROUP, "checkin")
    assert "private" in reply.text.lower()
    assert await conv.store.checkins.get(GROUP.id) is None
    (button,) = await conv.handle_action(GROUP, "v1:ci:m:good")
    assert "private" in button.text.lower()


async def test_checkin_message_says_how_to_stop_and_offers_moods(conv: Conversation) -> None:
    (message,) = await conv.handle_command(ME, "checkin", "now")
    assert message.text.startswith("How are you doing today?")
    assert "/checkin" in message.text
    assert acts([message]) == ["v1:ci:m:good", "v1:ci:m:okay", "v1:ci:m:struggling", "v1:ci:m:help"]
    labels = [b.label for b in message.all_buttons()]
    assert labels[-1] == "🆘 I need help now"


async def test_mood_and_craving_are_stored_as_keys_and_reset_the_streak(
    conv: Conversation,
) -> None:
    await set_up_daily_london(conv)
    s = await settings_of(conv)
    await conv.store.checkins.save(ME.id, replace(s, unanswered=2))
    replies = await conv.handle_action(ME, "v1:ci:m:good")
    assert (
        "glad" in text(replies) and "v1:ci:c:0" in acts(replies) and "v1:ci:c:10" in acts(replies)
    )
    assert (await settings_of(conv)).unanswered == 0
    thanks = await conv.handle_action(ME, "v1:ci:c:3")
    assert "Noted" in text(thanks)
    skipped = await conv.handle_action(ME, "v1:ci:c:-")
    assert skipped[0].toast
    await conv.handle_text(ME, "honestly today was weird, my cousin visited")
    answers = await conv.store.checkins.answers(ME.id, EPOCH)
    assert [(a.mood, a.craving) for a in answers] == [("good", None), ("craving", 3)]


async def test_high_craving_offers_support(conv: Conversation) -> None:
    replies = await conv.handle_action(ME, "v1:ci:c:9")
    assert "strong craving" in text(replies)
    assert {"v1:t:cravings", "v1:ci:plan", "v1:h"} <= set(acts(replies))


async def test_struggling_offers_coping_plan_and_people_without_judgement(
    conv: Conversation,
) -> None:
    replies = await conv.handle_action(ME, "v1:ci:m:struggling")
    words = text(replies)
    assert "Hard days happen" in words and "Breathe" in words
    assert {"v1:t:cravings", "v1:ci:plan", "v1:t:peer_support", "v1:h"} <= set(acts(replies))
    assert "v1:ci:c:5" in acts(replies)  # craving stays optional
    for judgemental in ("should have", "failed", "clean", "dirty", "addict"):
        assert judgemental not in words.lower()
    plan = await conv.handle_action(ME, "v1:ci:plan")
    assert "v1:sp:start" in acts(plan)


async def test_need_help_now_gives_crisis_lines_for_the_country_and_the_plan(
    conv: Conversation,
) -> None:
    await conv.update_user(ME.id, country="GB")
    await conv.store.plans.save(ME.id, {"helpers": ["my sister Ana"]})
    (reply,) = await conv.handle_action(ME, "v1:ci:m:help")
    assert "116 123" in reply.text and "999" in reply.text  # Samaritans, UK emergency
    assert "988" not in reply.text
    assert "my sister Ana" in reply.text
    answers = await conv.store.checkins.answers(ME.id, EPOCH)
    assert [a.mood for a in answers] == ["help"]


async def test_unknown_checkin_button_gets_the_polite_menu(conv: Conversation) -> None:
    for data in ("v1:ci:m:ecstatic", "v1:ci:c:11", "v1:ci:z:daily:-:0900:Mars/Base", "v1:ci:zz"):
        replies = await conv.handle_action(ME, data)
        assert replies and any(a.startswith("v1:g:") for a in acts(replies))


async def seed_answers(store: Store, today: date) -> None:
    noon = datetime.combine(today, time(12, 0), tzinfo=timezone.utc)
    await store.checkins.record_answer(ME.id, "good", None, noon - timedelta(days=20))
    await store.checkins.record_answer(ME.id, "struggling", None, noon - timedelta(days=1))
    await store.checkins.record_answer(ME.id, "craving", 8, noon - timedelta(days=1))
    await store.checkins.record_answer(ME.id, "okay", None, noon)
    await store.checkins.record_answer(ME.id, "craving", 0, noon)


async def test_progress_shows_weeks_milestones_and_keeps_the_longest_stretch(
    conv: Conversation,
) -> None:
    today = datetime.now(timezone.utc).date()
    await seed_answers(conv.store, today)
    (empty_start,) = await conv.handle_command(ME, "progress")
    assert "😊" in empty_start.text and "😟" in empty_start.text and "🙂" in empty_start.text
    assert "craving: " in empty_start.text and "█" in empty_start.text
    assert "3 of the last 28 days" in empty_start.text
    assert "/progress start" in empty_start.text and "v1:pr:today" in acts([empty_start])

    start = today - timedelta(days=45)
    replies = await conv.handle_command(ME, "progress", f"start {start.isoformat()}")
    shown = text(replies)
    assert "45 days since your start" in shown
    assert "Milestones reached: 1 week, 30 days" in shown
    assert "Next milestone: 60 days, in 15 days" in shown
    assert "longest" not in shown.lower()

    ask = await conv.handle_action(ME, "v1:pr:new")
    assert "Nothing you achieved is erased" in text(ask) and "v1:pr:newtoday" in acts(ask)
    (new,) = await conv.handle_action(ME, "v1:pr:newtoday")
    assert "longest stretch so far is 45 days" in new.text
    assert "shame" not in new.text.lower()
    (after,) = await conv.handle_command(ME, "progress")
    assert "0 days since your start" in after.text
    assert "Next milestone: 1 week, in 7 days" in after.text
    assert "Your longest stretch so far: 45 days" in after.text
    user = await conv.store.people.get(ME.id)
    assert user is not None and user.recovery_start == today


async def test_progress_six_months_and_a_year_are_calendar_spans(conv: Conversation) -> None:
    today = datetime.now(timezone.utc).date()
    start = date(today.year - 1, today.month, min(today.day, 28))
    (_, shown) = await conv.handle_command(ME, "progress", f"start {start.isoformat()}")
    assert "6 months, 1 year" in shown.text


async def test_progress_bad_or_future_date_gets_a_kind_reply(conv: Conversation) -> None:
    future = (datetime.now(timezone.utc).date() + timedelta(days=3)).isoformat()
    for arg in ("start 01/10/2026", f"start {future}", "newstart soon"):
        (reply,) = await conv.handle_command(ME, "progress", arg)
        assert "couldn't read that date" in reply.text
    user = await conv.store.people.get(ME.id)
    assert user is not None and user.recovery_start is None


async def test_feature_registers_commands_in_the_menu(conv: Conversation) -> None:
    names = [name for name, _ in conv.menu_commands()]
    assert "checkin" in names and "progress" in names


def test_feature_is_found_by_load_features(engine: Engine) -> None:
    from bot.conversation import load_features

    conversation = Conversation(engine, None, Settings())
    assert "checkins" in load_features(conversation)
    assert isinstance(register(Conversation(engine, None, Settings())), CheckinFeature)


async def test_zone_buttons_without_a_country_span_continents(
    engine: Engine, sqlite_store: Store
) -> None:
    conversation = Conversation(engine, sqlite_store, Settings())
    register(conversation)
    zones = await conversation.handle_action(ME, "v1:ci:t:daily:-:0800")
    offered = {a.rsplit(":", 1)[-1] for a in acts(zones) if a.startswith("v1:ci:z:")}
    assert {"Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"} <= offered
