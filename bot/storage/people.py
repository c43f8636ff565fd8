"""The people aggregate: one row per chat (role, country, time zone, consent, activity)."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import UNSET, Database, _Unset, utcnow, valid_timezone
from bot.storage.models import ROLES, User
from bot.storage.schema import users

log = logging.getLogger(__name__)


def _user(row: Row[Any]) -> User:
    m = row._mapping
    role = m["role"]
    if role is not None and role not in ROLES:
        log.warning("user row has an unknown role; treating it as unset")
        role = None
    tz = m["timezone"]
    if tz is not None and not valid_timezone(tz):
        log.warning("user row has an unknown time zone; treating it as unset")
        tz = None
    return User(
        chat_id=m["chat_id"],
        role=role,
        country=m["country"],
        timezone=tz,
        consent=bool(m["consent"]),
        consent_at=m["consent_at"],
        recovery_start=m["recovery_start"],
        active=bool(m["active"]),
        created_on=m["created_on"],
        last_seen=m["last_seen"],
    )


class People:
    """Get, create and change a person's row. Erasure is :meth:`Store.forget` (every table)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int) -> User | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).first()
        return None if row is None else _user(row)

    async def _ensure(self, conn: AsyncConnection, chat_id: int, today: date) -> User:
        stmt = self.db.insert(users).values(
            chat_id=chat_id, created_on=today, last_seen=today, consent=False, active=True
        )
        # A message from a person who was deactivated (blocked the bot) means they are back.
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.chat_id],
            set_={"last_seen": stmt.excluded.last_seen, "active": True},
        ).returning(*users.c)
        row = (await conn.execute(stmt)).one()
        return _user(row)

    async def ensure(self, chat_id: int, now: datetime | None = None) -> User:
        """Create the person's row if missing and mark them seen today (UTC date)."""
        today = (now or utcnow()).astimezone(timezone.utc).date()
        async with self.db.write() as conn:
            return await self._ensure(conn, chat_id, today)

    async def update(
        self,
        chat_id: int,
        *,
        role: str | _Unset | None = UNSET,
        country: str | _Unset | None = UNSET,
        timezone: str | _Unset | None = UNSET,
        consent: bool | _Unset = UNSET,
        recovery_start: date | _Unset | None = UNSET,
        active: bool | _Unset = UNSET,
    ) -> User:
        """Change only the fields given (creating the person if needed); validates values."""
        values: dict[str, Any] = {}
        if role is not UNSET:
            if role is not None and role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}")
            values["role"] = role
        if country is not UNSET:
            if country is not None:
                country = country.strip().upper()
                if not re.fullmatch(r"[A-Z]{2}", country):
                    raise ValueError("country must be a two-letter ISO code such as US or GB")
            values["country"] = country
        if timezone is not UNSET:
            if timezone is not None and not valid_timezone(timezone):
                raise ValueError("timezone must be an IANA name such as Europe/London")
            values["timezone"] = timezone
        if consent is not UNSET:
            values["consent"] = bool(consent)
            values["consent_at"] = utcnow() if consent else None
        if recovery_start is not UNSET:
            values["recovery_start"] = recovery_start
        if active is not UNSET:
            values["active"] = bool(active)
        async with self.db.write() as conn:
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).first()
            if row is None:
                await self._ensure(conn, chat_id, utcnow().date())
            if values:
                await conn.execute(update(users).where(users.c.chat_id == chat_id).values(values))
            row = (await conn.execute(select(users).where(users.c.chat_id == chat_id))).one()
            return _user(row)
