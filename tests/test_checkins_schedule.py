"""Check-in schedules in simulated time: frequencies, zones, daylight saving both ways."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.schedule import (
    COMMON_ZONES,
    COUNTRY_ZONES,
    guess_timezone,
    next_due,
    next_due_at,
    zones_for_country,
)
from bot.storage import CheckinSettings

UTC = timezone.utc
NY = "America/New_York"


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def series(
    frequency: str, at: time, tz: str, start: datetime, n: int, weekday: int | None = None
) -> list[datetime]:
    out: list[datetime] = []
    moment = start
    for _ in range(n):
        nxt = next_due_at(frequency, at, tz, moment, weekday)
        assert nxt is not None
        out.append(nxt)
        moment = nxt  # as the dispatcher does: the next one strictly after the last sent
    return out


def test_daily_in_london_summer_and_winter() -> None:
    # 20:00 London is 19:00 UTC in summer (BST) and 20:00 UTC in winter (GMT).
    assert next_due_at("daily", time(20), "Europe/London", utc(2026, 7, 1, 12)) == utc(
        2026, 7, 1, 19
    )
    assert next_due_at("daily", time(20), "Europe/London", utc(2026, 1, 5, 21)) == utc(
        2026, 1, 6, 20
    )


def test_strictly_after_so_the_same_time_is_not_repeated() -> None:
    at = utc(2026, 1, 5, 20)
    assert next_due_at("daily", time(20), "UTC", at) == utc(2026, 1, 6, 20)


def test_weekdays_skip_the_weekend() -> None:
    # 2026-01-09 is a Friday.
    got = series("weekdays", time(9), "UTC", utc(2026, 1, 9, 10), 3)
    assert got == [utc(2026, 1, 12, 9), utc(2026, 1, 13, 9), utc(2026, 1, 14, 9)]
    assert all(d.weekday() < 5 for d in series("weekdays", time(9), NY, utc(2026, 3, 1), 20))


def test_weekly_on_the_chosen_day() -> None:
    # Sunday (6) at 18:00 in New York, from Monday 2026-01-05.
    got = series("weekly", time(18), NY, utc(2026, 1, 5), 3, weekday=6)
    assert got == [utc(2026, 1, 11, 23), utc(2026, 1, 18, 23), utc(2026, 1, 25, 23)]
    # Same day, before and after the time.
    assert next_due_at("weekly", time(18), "UTC", utc(2026, 1, 11, 17), 6) == utc(2026, 1, 11, 18)
    assert next_due_at("weekly", time(18), "UTC", utc(2026, 1, 11, 18), 6) == utc(2026, 1, 18, 18)


def test_off_has_no_next_time() -> None:
    assert next_due_at("off", time(20), NY, utc(2026, 1, 1)) is None


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        next_due_at("daily", time(20), NY, datetime(2026, 1, 1))  # naive
    with pytest.raises(ValueError):
        next_due_at("weekly", time(20), NY, utc(2026, 1, 1))  # no weekday
    with pytest.raises(ValueError):
        next_due_at("hourly", time(20), NY, utc(2026, 1, 1))


def test_accepts_stored_settings() -> None:
    s = CheckinSettings(frequency="daily", local_time=time(8, 15), timezone="Asia/Kolkata")
    assert next_due(s, utc(2026, 1, 1)) == utc(2026, 1, 1, 2, 45)


def test_spring_forward_missing_time_is_sent_once_shifted() -> None:
    # New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    got = series("daily", time(2, 30), NY, utc(2026, 3, 7), 3)
    assert got == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 30),  # the missing 02:30 -> 03:30 EDT, once
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]
    local = got[1].astimezone(ZoneInfo(NY))
    assert (local.hour, local.minute) == (3, 30)


def test_spring_forward_other_times_keep_the_wall_clock() -> None:
    got = series("daily", time(20), NY, utc(2026, 3, 7, 12), 2)
    assert [d.astimezone(ZoneInfo(NY)).hour for d in got] == [20, 20]
    assert got[1] - got[0] == timedelta(hours=23)


def test_fall_back_repeated_time_is_sent_once() -> None:
    # New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    got = series("daily", time(1, 30), NY, utc(2026, 10, 31), 3)
    assert got == [
        utc(2026, 10, 31, 5, 30),  # 01:30 EDT
        utc(2026, 11, 1, 5, 30),  # the first 01:30 (EDT) only
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]
    # Asking again from during the second 01:30 does not give that day again.
    assert next_due_at("daily", time(1, 30), NY, utc(2026, 11, 1, 6, 40)) == utc(2026, 11, 2, 6, 30)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Europe/London 2026-03-29: 01:00 GMT -> 02:00 BST; 01:30 does not exist.
        (utc(2026, 3, 28, 2), [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]),
        # Europe/London 2026-10-25: 02:00 BST -> 01:00 GMT; 01:30 happens twice.
        (utc(2026, 10, 24, 2), [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
    ],
)
def test_london_both_changes(start: datetime, expected: list[datetime]) -> None:
    assert series("daily", time(1, 30), "Europe/London", start, 2) == expected


def test_a_year_of_daily_check_ins_is_one_per_local_day() -> None:
    for tz in ("America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland"):
        for at in (time(0, 30), time(1, 30), time(2, 30), time(20)):
            got = series("daily", at, tz, utc(2026, 1, 1), 365)
            days = [d.astimezone(ZoneInfo(tz)).date() for d in got]
            assert len(set(days)) == 365, (tz, at)
            assert all(b - a == timedelta(days=1) for a, b in pairwise(days))


def test_zones_and_guesses() -> None:
    for name in COMMON_ZONES + tuple(z for zs in COUNTRY_ZONES.values() for z in zs):
        ZoneInfo(name)  # every offered zone exists
    assert guess_timezone("gb") == "Europe/London"
    assert guess_timezone(" US ") == "America/New_York"
    assert guess_timezone("ZZ") is None
    assert guess_timezone(None) is None
    assert "America/Los_Angeles" in zones_for_country("US")
    assert zones_for_country("") == ()
