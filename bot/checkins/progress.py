"""/progress arithmetic: answers per local day, sparklines, milestones, longest stretch.

Pure functions (no store, no clock) so the tests choose "today".

A new start date after a setback never erases what was achieved: the finished stretch is
kept as a ``stretch_<days>`` marker row among the person's check-in answers (a button-style
key and a number of days, never text they wrote), so "longest stretch" survives every new
start and ``/forget`` still erases it with the rest.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.texts import CheckinTexts, Milestone
from bot.storage.models import CheckinAnswer

MOODS = ("good", "okay", "struggling", "help")
CRAVING_KEY = "craving"
"""Mood key of a craving-only answer (the 0-10 rating that follows the mood buttons)."""
STRETCH_PREFIX = "stretch_"
MOOD_SYMBOL = {"good": "😊", "okay": "🙂", "struggling": "😟", "help": "🆘"}
NO_ANSWER = "▫️"
BARS = "▁▂▃▄▅▆▇█"
NO_CRAVING = "·"


@dataclass(frozen=True)
class Day:
    """One local calendar day: the last mood given and the highest craving rated."""

    day: date
    mood: str | None = None
    craving: int | None = None


def plural_days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def stretch_marker(days: int) -> str:
    """The mood key that records a finished stretch of ``days`` days."""
    return f"{STRETCH_PREFIX}{max(0, days)}"


def by_day(answers: Iterable[CheckinAnswer], zone: ZoneInfo, today: date, days: int) -> list[Day]:
    """The last ``days`` local days ending ``today``, oldest first."""
    first = today - timedelta(days=days - 1)
    moods: dict[date, str] = {}
    cravings: dict[date, int] = {}
    for answer in sorted(answers, key=lambda a: a.at):
        local = answer.at.astimezone(zone).date()
        if not first <= local <= today:
            continue
        if answer.mood in MOODS:
            moods[local] = answer.mood
        if answer.craving is not None:
            cravings[local] = max(answer.craving, cravings.get(local, 0))
    return [
        Day(d, moods.get(d), cravings.get(d))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def bar(craving: int | None) -> str:
    """0-10 as one of eight block heights; a dot when not rated."""
    if craving is None:
        return NO_CRAVING
    return BARS[round(max(0, min(10, craving)) * (len(BARS) - 1) / 10)]


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def milestone_date(start: date, milestone: Milestone) -> date:
    if milestone.months is not None:
        return add_months(start, milestone.months)
    return start + timedelta(days=milestone.days or 0)


def milestones(
    start: date, today: date, all_milestones: Sequence[Milestone]
) -> tuple[list[Milestone], tuple[Milestone, int] | None]:
    """(reached, (next milestone, days until it)) counting from ``start``."""
    reached: list[Milestone] = []
    upcoming: tuple[Milestone, int] | None = None
    for m in sorted(all_milestones, key=lambda m: milestone_date(start, m)):
        when = milestone_date(start, m)
        if when <= today:
            reached.append(m)
        elif upcoming is None:
            upcoming = (m, (when - today).days)
    return reached, upcoming


def past_stretches(answers: Iterable[CheckinAnswer]) -> list[int]:
    """Lengths (days) of stretches recorded when new start dates were logged."""
    found: list[int] = []
    for answer in answers:
        if answer.mood.startswith(STRETCH_PREFIX) and answer.mood[len(STRETCH_PREFIX) :].isdigit():
            found.append(int(answer.mood[len(STRETCH_PREFIX) :]))
    return found


def longest_stretch(answers: Iterable[CheckinAnswer], current_days: int) -> int:
    return max([current_days, *past_stretches(answers)])


def render(
    texts: CheckinTexts,
    answers: Sequence[CheckinAnswer],
    zone: ZoneInfo,
    today: date,
    start: date | None,
    weeks: int = 4,
) -> str:
    """The whole /progress text."""
    days = by_day(answers, zone, today, weeks * 7)
    answered = sum(1 for d in days if d.mood is not None or d.craving is not None)
    parts: list[str] = []
    if answered:
        lines = [texts.get("progress", "title", weeks=weeks), texts.get("progress", "legend"), ""]
        for i in range(0, len(days), 7):
            week = days[i : i + 7]
            label = f"{week[0].day.day} {calendar.month_abbr[week[0].day.month]}"
            moods = "".join(MOOD_SYMBOL.get(d.mood or "", NO_ANSWER) for d in week)
            lines.append(texts.get("progress", "week", start=label, moods=moods))
            if any(d.craving is not None for d in week):
                bars = "".join(bar(d.craving) for d in week)
                lines.append(texts.get("progress", "craving_line", bars=bars))
        lines.append("")
        lines.append(texts.get("progress", "summary", answered=answered, days=len(days)))
        parts.append("\n".join(lines))
    else:
        parts.append(texts.get("progress", "empty"))
    if start is None:
        parts.append(texts.get("progress", "no_start"))
        return "\n\n".join(parts)
    current = max(0, (today - start).days)
    lines = [texts.get("progress", "days", count=plural_days(current), start=start.isoformat())]
    reached, upcoming = milestones(start, today, texts.milestones)
    if reached:
        lines.append(texts.get("progress", "reached", names=", ".join(m.name for m in reached)))
    if upcoming is not None:
        name, left = upcoming[0].name, upcoming[1]
        lines.append(texts.get("progress", "next", name=name, count=plural_days(left)))
    longest = longest_stretch(answers, current)
    if longest > current:
        lines.append(texts.get("progress", "longest", count=plural_days(longest)))
    parts.append("\n".join(lines))
    return "\n\n".join(parts)
