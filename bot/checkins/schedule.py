"""When is the next check-in? Pure functions over (frequency, weekday, local time, zone).

No I/O and no clock: callers pass ``after`` (UTC), so tests run in simulated time.

Daylight saving: each local calendar day gives at most one instant.
* Spring forward: a local time that does not exist that day (02:30 in New York on
  2026-03-08) resolves with the offset in force before the jump, i.e. the same elapsed
  time later on the new clock (03:30 EDT). It is sent once.
* Fall back: a local time that happens twice (01:30 in New York on 2026-11-01) resolves to
  the first occurrence (``fold=0``). The next search starts after that instant and moves
  to the next day, so it is sent once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

FREQUENCIES = ("daily", "weekdays", "weekly", "off")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Schedule(Protocol):
    """What a schedule needs; ``bot.storage.CheckinSettings`` has these fields."""

    @property
    def frequency(self) -> str: ...
    @property
    def weekday(self) -> int | None: ...
    @property
    def local_time(self) -> time: ...
    @property
    def timezone(self) -> str: ...


def _runs_on(frequency: str, weekday: int | None, day: date) -> bool:
    if frequency == "daily":
        return True
    if frequency == "weekdays":
        return day.weekday() < 5
    if frequency == "weekly":
        if weekday is None or not 0 <= weekday <= 6:
            raise ValueError("a weekly check-in needs a weekday 0 (Monday) to 6 (Sunday)")
        return day.weekday() == weekday
    raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``at`` on ``day`` in ``zone`` (gap: shifted forward; overlap: first)."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    # fold=0 gives the pre-transition offset: in a gap that lands after the jump,
    # in an overlap it is the first of the two.
    return naive.replace(tzinfo=zone).astimezone(timezone.utc)


def next_due_at(
    frequency: str,
    local_time: time,
    tz: str,
    after: datetime,
    weekday: int | None = None,
) -> datetime | None:
    """The first check-in instant strictly after ``after`` (UTC), or None when off."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after must be timezone-aware")
    if frequency == "off":
        return None
    zone = ZoneInfo(tz)
    start = after.astimezone(zone).date()
    # Eight days always include a weekly day strictly after ``after``.
    for offset in range(9):
        day = start + timedelta(days=offset)
        if not _runs_on(frequency, weekday, day):
            continue
        instant = local_instant(day, local_time, zone)
        if instant > after:
            return instant
    raise AssertionError("unreachable: a schedule runs at least weekly")


def next_due(schedule: Schedule, after: datetime) -> datetime | None:
    """The next check-in of ``schedule`` strictly after ``after`` (UTC); None when off."""
    return next_due_at(
        schedule.frequency, schedule.local_time, schedule.timezone, after, schedule.weekday
    )


# -- time zones ------------------------------------------------------------------------------

# A short list to offer as buttons; anything else can be typed as an IANA name.
COMMON_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Africa/Johannesburg",
    "UTC",
)

# Country -> zones, the most populous first (that one is the guess). Countries with one
# zone list one; others list the main ones so a picker can offer them.
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
    "CA": (
        "America/Toronto",
        "America/Vancouver",
        "America/Edmonton",
        "America/Winnipeg",
        "America/Halifax",
        "America/St_Johns",
    ),
    "GB": ("Europe/London",),
    "IE": ("Europe/Dublin",),
    "AU": (
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Adelaide",
        "Australia/Perth",
        "Australia/Darwin",
        "Australia/Hobart",
    ),
    "NZ": ("Pacific/Auckland",),
    "DE": ("Europe/Berlin",),
    "FR": ("Europe/Paris",),
    "ES": ("Europe/Madrid", "Atlantic/Canary"),
    "IT": ("Europe/Rome",),
    "NL": ("Europe/Amsterdam",),
    "PL": ("Europe/Warsaw",),
    "UA": ("Europe/Kyiv",),
    "IN": ("Asia/Kolkata",),
    "ZA": ("Africa/Johannesburg",),
    "NG": ("Africa/Lagos",),
    "PH": ("Asia/Manila",),
    "MX": ("America/Mexico_City", "America/Tijuana", "America/Cancun"),
    "BR": ("America/Sao_Paulo", "America/Manaus"),
}


def zones_for_country(country_code: str | None) -> tuple[str, ...]:
    """Zones to offer for a country (guess first); empty when unknown."""
    if not country_code:
        return ()
    return COUNTRY_ZONES.get(country_code.strip().upper(), ())


def guess_timezone(country_code: str | None) -> str | None:
    """The most likely zone for an ISO country code, or None (then ask the person)."""
    zones = zones_for_country(country_code)
    return zones[0] if zones else None
