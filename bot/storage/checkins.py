"""The check-in aggregate: a person's schedule and their answers (button keys, 0-10 cravings).

Claiming due check-ins across instances is :mod:`bot.checkins.dispatcher` (its own queries on
``Store.transaction``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time

from sqlalchemy import and_, delete, select

from bot.storage.database import Database, check_aware, valid_timezone
from bot.storage.errors import CorruptRowError
from bot.storage.models import FREQUENCIES, CheckinAnswer, CheckinSettings
from bot.storage.schema import checkin_answers, checkins

log = logging.getLogger(__name__)

_MOOD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_checkin(s: CheckinSettings) -> None:
    if s.frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if s.weekday is not None and not 0 <= s.weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    if s.frequency == "weekly" and s.weekday is None:
        raise ValueError("a weekly check-in needs a weekday")
    if not isinstance(s.local_time, time):
        raise ValueError("local_time must be a time of day")
    if not valid_timezone(s.timezone):
        raise ValueError("timezone must be an IANA name such as Europe/London")
    if s.unanswered < 0:
        raise ValueError("unanswered cannot be negative")
    for moment in (s.next_due_at, s.last_sent_at):
        if moment is not None:
            check_aware(moment)


class Checkins:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int) -> CheckinSettings | None:
        """The person's check-in settings, or None. Unreadable values raise CorruptRowError."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(checkins).where(checkins.c.chat_id == chat_id))
            ).first()
        if row is None:
            return None
        m = row._mapping
        settings = CheckinSettings(
            frequency=m["frequency"],
            weekday=m["weekday"],
            local_time=m["local_time"],
            timezone=m["timezone"],
            next_due_at=m["next_due_at"],
            paused=bool(m["paused"]),
            unanswered=int(m["unanswered"]),
            last_sent_at=m["last_sent_at"],
        )
        try:
            check_checkin(settings)
        except ValueError as exc:
            log.warning("stored check-in settings are invalid: %s", exc)
            raise CorruptRowError(f"the saved check-in settings are invalid: {exc}") from None
        return settings

    async def save(self, chat_id: int, settings: CheckinSettings) -> None:
        check_checkin(settings)
        values = {
            "frequency": settings.frequency,
            "weekday": settings.weekday,
            "local_time": settings.local_time,
            "timezone": settings.timezone,
            "next_due_at": settings.next_due_at,
            "paused": settings.paused,
            "unanswered": settings.unanswered,
            "last_sent_at": settings.last_sent_at,
        }
        stmt = self.db.insert(checkins).values(chat_id=chat_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[checkins.c.chat_id],
            set_={k: getattr(stmt.excluded, k) for k in values},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)

    async def delete(self, chat_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(checkins).where(checkins.c.chat_id == chat_id))

    async def record_answer(
        self, chat_id: int, mood: str, craving: int | None, at: datetime
    ) -> None:
        """Store a check-in answer: a mood button key (not free text) and a 0-10 craving."""
        if not _MOOD_RE.match(mood):
            raise ValueError("mood must be a short button key such as 'good' or 'struggling'")
        if craving is not None and not 0 <= craving <= 10:
            raise ValueError("craving must be between 0 and 10")
        check_aware(at)
        async with self.db.write() as conn:
            await conn.execute(
                checkin_answers.insert().values(chat_id=chat_id, mood=mood, craving=craving, at=at)
            )

    async def answers(self, chat_id: int, since: datetime) -> list[CheckinAnswer]:
        check_aware(since)
        stmt = (
            select(checkin_answers)
            .where(and_(checkin_answers.c.chat_id == chat_id, checkin_answers.c.at >= since))
            .order_by(checkin_answers.c.at, checkin_answers.c.id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            CheckinAnswer(chat_id=r.chat_id, at=r.at, mood=r.mood, craving=r.craving) for r in rows
        ]
