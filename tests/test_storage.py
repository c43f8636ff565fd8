"""Store behaviour on both backends: what the bot keeps about a person, and what it hands back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.storage import CheckinAnswer, CheckinSettings, Store

UTC = timezone.utc


async def test_new_person_is_created_once_and_seen_dates_move(store: Store) -> None:
    assert await store.people.get(42) is None
    first = await store.people.ensure(42, now=datetime(2024, 3, 1, 23, 30, tzinfo=UTC))
    assert first.created_on == first.last_seen == date(2024, 3, 1)
    assert first.role is None and first.consent is False and first.active is True
    again = await store.people.ensure(42, now=datetime(2024, 3, 5, 8, 0, tzinfo=UTC))
    assert again.created_on == date(2024, 3, 1)
    assert again.last_seen == date(2024, 3, 5)
    assert await store.people.get(42) == again


async def test_telegram_int64_chat_ids_fit(store: Store) -> None:
    for chat_id in (-1001234567890123, 2**62):
        user = await store.people.ensure(chat_id)
        assert user.chat_id == chat_id


async def test_update_changes_only_given_fields_and_records_consent_time(store: Store) -> None:
    await store.people.ensure(7)
    before = datetime.now(UTC)
    user = await store.people.update(
        7,
        role="family",
        country="gb",
        timezone="Europe/London",
        consent=True,
        recovery_start=date(2024, 1, 2),
    )
    assert (user.role, user.country, user.timezone) == ("family", "GB", "Europe/London")
    assert user.consent and user.consent_at is not None
    assert user.consent_at.tzinfo is not None and user.consent_at >= before - timedelta(seconds=1)
    assert user.recovery_start == date(2024, 1, 2)

    user = await store.people.update(7, role="recovery")
    assert (user.role, user.country, user.consent) == ("recovery", "GB", True)

    user = await store.people.update(7, consent=False, recovery_start=None, active=False)
    assert user.consent is False and user.consent_at is None and user.recovery_start is None
    assert user.active is False
    # Writing again means the person is reachable again (e.g. unblocked the bot).
    assert (await store.people.ensure(7)).active is True


async def test_update_creates_a_missing_person(store: Store) -> None:
    user = await store.people.update(99, role="supporter")
    assert user.role == "supporter" and user.created_on is not None


@pytest.mark.parametrize(
    "kwargs",
    [{"role": "admin"}, {"country": "Britain"}, {"timezone": "Mars/Olympus"}],
)
async def test_update_rejects_bad_values(store: Store, kwargs: dict[str, str]) -> None:
    await store.people.ensure(1)
    with pytest.raises(ValueError):
        await store.people.update(1, **kwargs)  # type: ignore[arg-type]
    assert await store.people.get(1) == await store.people.ensure(1)


async def test_safety_plan_round_trip_replace_and_delete(store: Store) -> None:
    plan = {"warning_signs": ["can't sleep", "skipping meetings"], "people": ["Sam 📞"]}
    assert await store.plans.get(3) is None
    await store.plans.save(3, plan)
    assert await store.plans.get(3) == plan
    await store.plans.save(3, {"places": ["library"]})
    assert await store.plans.get(3) == {"places": ["library"]}
    await store.plans.delete(3)
    assert await store.plans.get(3) is None


@pytest.mark.parametrize("bad", [["a"], {"a": "not a list"}, {"a": [1]}])
async def test_safety_plan_shape_is_checked(store: Store, bad: object) -> None:
    with pytest.raises(ValueError):
        await store.plans.save(3, bad)  # type: ignore[arg-type]


async def test_checkin_settings_round_trip_with_utc_times(store: Store) -> None:
    due = datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    settings = CheckinSettings(
        frequency="weekly",
        weekday=6,
        local_time=time(21, 15),
        timezone="Europe/Berlin",
        next_due_at=due,
        paused=False,
        unanswered=2,
        last_sent_at=datetime(2024, 3, 24, 20, 15, tzinfo=UTC),
    )
    assert await store.checkins.get(5) is None
    await store.checkins.save(5, settings)
    got = await store.checkins.get(5)
    assert got == settings
    assert got is not None and got.next_due_at is not None
    assert got.next_due_at.utcoffset() == timedelta(0)  # handed back in UTC
    paused = CheckinSettings(frequency="off", local_time=time(8), timezone="UTC", paused=True)
    await store.checkins.save(5, paused)
    assert await store.checkins.get(5) == paused
    await store.checkins.delete(5)
    assert await store.checkins.get(5) is None


@pytest.mark.parametrize(
    "settings",
    [
        CheckinSettings(frequency="hourly"),
        CheckinSettings(frequency="weekly", weekday=None),
        CheckinSettings(weekday=7),
        CheckinSettings(timezone="Nowhere/Land"),
        CheckinSettings(next_due_at=datetime(2024, 1, 1)),  # naive
    ],
)
async def test_checkin_settings_are_validated(store: Store, settings: CheckinSettings) -> None:
    with pytest.raises(ValueError):
        await store.checkins.save(5, settings)


async def test_checkin_answers_since_in_order(store: Store) -> None:
    base = datetime(2024, 5, 1, 12, tzinfo=UTC)
    await store.checkins.record_answer(8, "okay", 4, base + timedelta(days=2))
    await store.checkins.record_answer(8, "good", None, base)
    await store.checkins.record_answer(8, "struggling", 8, base + timedelta(days=1))
    await store.checkins.record_answer(9, "good", 0, base + timedelta(days=1))
    got = await store.checkins.answers(8, since=base + timedelta(hours=1))
    assert got == [
        CheckinAnswer(8, base + timedelta(days=1), "struggling", 8),
        CheckinAnswer(8, base + timedelta(days=2), "okay", 4),
    ]


@pytest.mark.parametrize(
    ("mood", "craving"), [("I feel awful today", None), ("good", 11), ("good", -1)]
)
async def test_checkin_answer_takes_a_button_key_not_text(
    store: Store, mood: str, craving: int | None
) -> None:
    with pytest.raises(ValueError):
        await store.checkins.record_answer(8, mood, craving, datetime.now(UTC))


async def test_group_crisis_watch_defaults_on(store: Store) -> None:
    group = -100555
    assert await store.groups.crisis_watch(group) is True
    await store.groups.set_crisis_watch(group, False)
    assert await store.groups.crisis_watch(group) is False
    await store.groups.set_crisis_watch(group, True)
    assert await store.groups.crisis_watch(group) is True


async def test_counters_and_feedback_add_up_per_day_and_key(store: Store) -> None:
    d1, d2 = date(2024, 6, 1), date(2024, 6, 2)
    for _ in range(3):
        await store.counters.count("intent_hit", "tolerance", day=d1)
    await store.counters.count("intent_hit", "tolerance", n=2, day=d2)
    await store.counters.count("intent_hit", "naloxone", day=d2)
    await store.counters.count("message", n=10, day=d1)
    await store.counters.count("fallback", day=d1)
    await store.counters.count("suggest", day=d2)
    await store.counters.count("crisis", "suicidal", day=d2)
    await store.counters.record_feedback("tolerance", True, day=d1)
    await store.counters.record_feedback("tolerance", True, day=d2)
    await store.counters.record_feedback("tolerance", False, day=d2)
    stats = await store.counters.stats()
    assert stats.answers_per_intent == {"tolerance": 5, "naloxone": 1}
    assert (stats.messages, stats.fallbacks, stats.suggestions) == (10, 1, 1)
    assert stats.crisis_per_kind == {"suicidal": 1}
    assert stats.feedback_per_intent == {"tolerance": (2, 1)}
    assert stats.fallback_rate == pytest.approx(0.1)
    recent = await store.counters.stats(since=d2)
    assert recent.answers_per_intent == {"tolerance": 2, "naloxone": 1}
    assert recent.feedback_per_intent == {"tolerance": (1, 1)}


@pytest.mark.parametrize(
    ("name", "key"), [("intent_hit", "i want to use again tonight"), ("Bad Name", "")]
)
async def test_counters_refuse_anything_that_looks_like_text(
    store: Store, name: str, key: str
) -> None:
    with pytest.raises(ValueError):
        await store.counters.count(name, key)


async def test_stats_count_people_and_checkins(store: Store) -> None:
    today = date(2024, 7, 10)
    await store.people.ensure(1, now=datetime(2024, 7, 9, tzinfo=UTC))
    await store.people.ensure(2, now=datetime(2024, 6, 1, tzinfo=UTC))
    await store.people.update(1, role="recovery", consent=True)
    await store.checkins.save(1, CheckinSettings())
    await store.checkins.save(2, CheckinSettings(paused=True))
    await store.plans.save(2, {"a": ["b"]})
    stats = await store.counters.stats(today=today)
    assert stats.users == 2
    assert stats.users_by_role == {"recovery": 1, "unset": 1}
    assert (stats.consented_users, stats.active_users_7d) == (1, 1)
    assert (stats.active_checkins, stats.safety_plans) == (1, 1)


async def test_transaction_lets_other_modules_run_their_own_queries(store: Store) -> None:
    from sqlalchemy import select, update

    from bot.storage.schema import checkins

    due = datetime(2024, 1, 1, 9, tzinfo=UTC)
    await store.checkins.save(1, CheckinSettings(next_due_at=due))
    await store.checkins.save(2, CheckinSettings(next_due_at=due + timedelta(days=9)))
    async with store.transaction() as conn:
        query = select(checkins.c.chat_id).where(checkins.c.next_due_at <= due)
        if store.backend == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = (await conn.execute(query)).scalars().all()
        await conn.execute(
            update(checkins)
            .where(checkins.c.chat_id.in_(claimed))
            .values(claimed_until=due + timedelta(minutes=5))
        )
    assert claimed == [1]
    with pytest.raises(RuntimeError):
        async with store.transaction() as conn:
            await conn.execute(update(checkins).values(unanswered=5))
            raise RuntimeError("rolled back")
    settings = await store.checkins.get(1)
    assert settings is not None and settings.unanswered == 0
