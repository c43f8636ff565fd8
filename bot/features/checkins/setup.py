"""/checkin: set up, change, pause, resume or stop check-ins.

The choices so far travel inside the buttons (``v1:ci:t:<freq>:<weekday>:<HHMM>``), so a
restart mid-way loses nothing; typed answers (a time, a zone name) go through a small flow
that the conversation hands texts to only after the crisis check. The flow's state is the
same choices as ids (``weekly:2:0900``), kept in storage so any instance takes the answer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

from bot.checkins.schedule import (
    COMMON_ZONES,
    FREQUENCIES,
    WEEKDAY_NAMES,
    next_due_at,
    zones_for_country,
)
from bot.checkins.texts import CheckinTexts
from bot.conversation.reply import Button, Chat, Reply, Rows
from bot.features.checkins.messages import act
from bot.storage.models import CheckinSettings

if TYPE_CHECKING:
    from bot.conversation import Conversation

COMMON_TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "20:00", "21:00", "22:00")
MAX_ZONE_BUTTONS = 8
# With no country to guess from, a spread across continents rather than the first few.
SPREAD_ZONES = (
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
_TIME_RE = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$", re.I)


def parse_time(text: str) -> time | None:
    """'9', '09:00', '9.30', '9:30 pm', '21h30' -> a time; None if it isn't one."""
    match = _TIME_RE.match(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_zone(text: str) -> str | None:
    """An IANA name, any case, spaces for underscores; a unique city ('london') works too."""
    wanted = text.strip().replace(" ", "_").lower()
    if not wanted or len(wanted) > 64:
        return None
    zones = _zones_by_lower()
    if wanted in zones:
        return zones[wanted]
    cities = [name for low, name in zones.items() if low.rsplit("/", 1)[-1] == wanted]
    return cities[0] if len(cities) == 1 else None


def hhmm(at: time) -> str:
    return f"{at.hour:02d}{at.minute:02d}"


def from_hhmm(raw: str) -> time | None:
    if len(raw) != 4 or not raw.isdigit():
        return None
    hour, minute = int(raw[:2]), int(raw[2:])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def describe(texts: CheckinTexts, frequency: str, weekday: int | None, at: time, zone: str) -> str:
    """'Every day at 09:00 (Europe/London)'."""
    label = texts.get("frequency", frequency)
    if frequency == "weekly" and weekday is not None:
        label = f"{label} ({WEEKDAY_NAMES[weekday]})"
    return f"{label} at {at.strftime('%H:%M')} ({zone})"


def when_local(moment: datetime | None, zone: str) -> str:
    """'Tue 4 Nov at 09:00' in the person's zone."""
    if moment is None:
        return "-"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')} at {local.strftime('%H:%M')}"


@dataclass
class Setup:
    """Where a person is in the set-up: (frequency, weekday) then time, then zone."""

    frequency: str
    weekday: int | None = None
    at: time | None = None

    def key(self) -> tuple[str, str]:
        return self.frequency, "-" if self.weekday is None else str(self.weekday)

    def state(self) -> str:
        """The choices so far as a flow state: ``weekly:2:0900`` (ids and digits only)."""
        parts = [*self.key()] + ([hhmm(self.at)] if self.at is not None else [])
        return ":".join(parts)

    @classmethod
    def parse(cls, args: list[str]) -> Setup | None:
        if len(args) < 2 or args[0] not in FREQUENCIES or args[0] == "off":
            return None
        weekday = None if args[1] == "-" else int(args[1]) if args[1].isdigit() else -1
        if weekday is not None and not 0 <= weekday <= 6:
            return None
        if (args[0] == "weekly") != (weekday is not None):
            return None
        at = None
        if len(args) >= 3:
            at = from_hhmm(args[2])
            if at is None:
                return None
        return cls(args[0], weekday, at)


TIME_FLOW = "ci.time"
"""Waiting for a typed time of day; state ``<freq>:<weekday>``."""
ZONE_FLOW = "ci.zone"
"""Waiting for a typed IANA zone name; state ``<freq>:<weekday>:<HHMM>``."""


class CheckinSetup:
    """The /checkin command and its ``v1:ci:...`` set-up buttons."""

    def __init__(self, conversation: Conversation, texts: CheckinTexts) -> None:
        self.conversation = conversation
        self.texts = texts

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    # -- menus ------------------------------------------------------------------------------
    def frequency_rows(self) -> Rows:
        f = self.texts.sections["frequency"]
        return (
            (Button(f["daily"], act("f", "daily")), Button(f["weekdays"], act("f", "weekdays"))),
            (Button(f["weekly"], act("f", "weekly")), Button(f["off"], act("f", "off"))),
        )

    def weekday_rows(self) -> Rows:
        days = [Button(name, act("w", str(i))) for i, name in enumerate(WEEKDAY_NAMES)]
        return (tuple(days[:4]), tuple(days[4:]))

    def time_rows(self, setup: Setup) -> Rows:
        freq, wd = setup.key()
        buttons = [Button(t, act("t", freq, wd, t.replace(":", ""))) for t in COMMON_TIMES]
        return (tuple(buttons[:4]), tuple(buttons[4:]))

    async def zone_rows(self, chat: Chat, setup: Setup) -> Rows:
        user = await self.conversation.user(chat)
        country = getattr(user, "country", None) or self.conversation.settings.default_country
        offered: list[str] = []
        guesses = zones_for_country(country)
        rest = COMMON_ZONES if guesses else SPREAD_ZONES
        for zone in (getattr(user, "timezone", None), *guesses, *rest):
            if zone and zone not in offered and len(offered) < MAX_ZONE_BUTTONS:
                offered.append(zone)
        freq, wd = setup.key()
        at = hhmm(setup.at or time(9, 0))
        buttons = [Button(zone, act("z", freq, wd, at, zone)) for zone in offered]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((Button(self.texts.get("buttons", "other_zone"), act("zt", freq, wd, at)),))
        return tuple(rows)

    def status_rows(self, settings: CheckinSettings) -> Rows:
        b = self.texts.sections["buttons"]
        toggle = (
            Button(b["resume"], act("resume"))
            if settings.paused
            else Button(b["pause"], act("pause"))
        )
        return (
            (Button(b["change"], act("change")), toggle),
            (Button(b["stop"], act("stop")), Button(b["now"], act("now"))),
        )

    # -- steps ------------------------------------------------------------------------------
    async def command(self, chat: Chat, args: str) -> list[Reply]:
        """/checkin [now|pause|resume|stop]."""
        word = args.strip().lower()
        if word in ("pause", "resume", "stop", "off"):
            return await self.action(chat, ["stop" if word == "off" else word])
        settings = await self.conversation.store.checkins.get(chat.id)
        if settings is None or settings.frequency == "off":
            return [Reply(self.texts.get("setup", "intro"), self.frequency_rows())]
        when = describe(
            self.texts, settings.frequency, settings.weekday, settings.local_time, settings.timezone
        )
        if settings.paused:
            text = self.texts.get("setup", "status_paused", when=when)
        else:
            text = self.texts.get(
                "setup", "status_on", when=when,
                next=when_local(settings.next_due_at, settings.timezone),
            )  # fmt: skip
        return [Reply(text, self.status_rows(settings))]

    async def on_time_text(self, chat: Chat, state: str, text: str) -> list[Reply]:
        """A typed time of day (the set-up so far comes from the stored flow state)."""
        setup = Setup.parse(state.split(":"))
        if setup is None:
            await self.conversation.end_flow(chat.id)
            return [Reply(self.texts.get("setup", "intro"), self.frequency_rows())]
        at = parse_time(text)
        if at is None:
            # Kind, and without repeating what they typed.
            return [Reply(self.texts.get("setup", "bad_time"), self.time_rows(setup))]
        setup.at = at
        return await self.ask_zone(chat, setup)

    async def on_zone_text(self, chat: Chat, state: str, text: str) -> list[Reply]:
        """A typed time zone name."""
        setup = Setup.parse(state.split(":"))
        if setup is None:
            await self.conversation.end_flow(chat.id)
            return [Reply(self.texts.get("setup", "intro"), self.frequency_rows())]
        zone = parse_zone(text)
        if zone is None:
            rows = await self.zone_rows(chat, setup)
            return [Reply(self.texts.get("setup", "bad_zone"), rows)]
        return await self.save(chat, setup, zone)

    async def ask_time(self, chat: Chat, setup: Setup) -> list[Reply]:
        await self.conversation.start_flow(chat.id, TIME_FLOW, setup.state())
        return [Reply(self.texts.get("setup", "pick_time"), self.time_rows(setup))]

    async def ask_zone(self, chat: Chat, setup: Setup) -> list[Reply]:
        await self.conversation.start_flow(chat.id, ZONE_FLOW, setup.state())
        rows = await self.zone_rows(chat, setup)
        return [Reply(self.texts.get("setup", "pick_zone"), rows)]

    async def save(self, chat: Chat, setup: Setup, zone: str) -> list[Reply]:
        """Store the schedule with its next due time; the person's zone is remembered too."""
        await self.conversation.end_flow(chat.id)
        at = setup.at or time(9, 0)
        due = next_due_at(setup.frequency, at, zone, self._now(), setup.weekday)
        settings = CheckinSettings(
            frequency=setup.frequency,
            weekday=setup.weekday,
            local_time=at,
            timezone=zone,
            next_due_at=due,
        )
        await self.conversation.store.checkins.save(chat.id, settings)
        await self.conversation.update_user(chat.id, timezone=zone)
        text = self.texts.get(
            "setup", "saved",
            when=describe(self.texts, setup.frequency, setup.weekday, at, zone),
            first=when_local(due, zone),
        )  # fmt: skip
        return [Reply(f"{text}\n\n{self.texts.get('setup', 'footer')}", self.status_rows(settings))]

    async def action(self, chat: Chat, args: list[str]) -> list[Reply]:
        """Set-up buttons; returns [] for ones that are not set-up buttons."""
        op, rest = (args[0], args[1:]) if args else ("", [])
        store = self.conversation.store
        if op == "change":
            return [Reply(self.texts.get("setup", "how_often"), self.frequency_rows())]
        if op == "f" and len(rest) == 1:
            if rest[0] == "off":
                return [Reply(self.texts.get("setup", "not_now"))]
            if rest[0] == "weekly":
                return [Reply(self.texts.get("setup", "pick_weekday"), self.weekday_rows())]
            setup = Setup.parse([rest[0], "-"])
            return await self.ask_time(chat, setup) if setup else []
        if op == "w" and len(rest) == 1:
            setup = Setup.parse(["weekly", rest[0]])
            return await self.ask_time(chat, setup) if setup else []
        if op == "t" and len(rest) == 3:
            setup = Setup.parse(rest)
            return await self.ask_zone(chat, setup) if setup else []
        if op == "zt" and len(rest) == 3:
            setup = Setup.parse(rest)
            if setup is None:
                return []
            await self.conversation.start_flow(chat.id, ZONE_FLOW, setup.state())
            return [Reply(self.texts.get("setup", "pick_zone"))]
        if op == "z" and len(rest) == 4:
            setup = Setup.parse(rest[:3])
            zone = parse_zone(rest[3])
            return await self.save(chat, setup, zone) if setup and zone else []
        if op in ("pause", "resume", "stop"):
            current = await store.checkins.get(chat.id)
            if current is None or current.frequency == "off":
                return [Reply(self.texts.get("setup", "not_set_up"), self.frequency_rows())]
            if op == "pause":
                await store.checkins.save(chat.id, dataclasses.replace(current, paused=True))
                return [Reply(self.texts.get("setup", "paused"))]
            if op == "stop":
                off = dataclasses.replace(current, frequency="off", next_due_at=None, paused=False)
                await store.checkins.save(chat.id, off)
                return [Reply(self.texts.get("setup", "stopped"))]
            # Resume: a fresh start, counted from now (nothing missed is sent).
            due = next_due_at(
                current.frequency, current.local_time, current.timezone, self._now(),
                current.weekday,
            )  # fmt: skip
            resumed = dataclasses.replace(current, paused=False, unanswered=0, next_due_at=due)
            await store.checkins.save(chat.id, resumed)
            await self.conversation.update_user(chat.id, active=True)
            text = self.texts.get("setup", "resumed", next=when_local(due, current.timezone))
            return [Reply(f"{text}\n\n{self.texts.get('setup', 'footer')}")]
        return []
