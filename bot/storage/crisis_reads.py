"""What a crisis reply needs to know about a person, in one statement.

A crisis reply names the person's country's lines (or the national ones when none is
stored), adds their safety plan in private chats, and hands the text to a flow that keeps it
(the safety plan's warning signs). Three reads, one round trip: in a burst, every wait for the
database is long, and a crisis reply should wait for one at most.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, select

from bot.storage.database import Database, check_aware, utcnow
from bot.storage.errors import CorruptRowError, StorageError
from bot.storage.models import ROLES
from bot.storage.safety_plans import parse_plan
from bot.storage.schema import flows, safety_plans, users

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrisisFacts:
    """The stored country and role (None: no person stored, or not set), the safety plan
    (None: none, or unreadable) and the live flow (``flow_kind`` None: none)."""

    country: str | None = None
    role: str | None = None
    plan: dict[str, list[str]] | None = None
    flow_kind: str | None = None
    flow_state: str = ""


class CrisisReads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def facts(self, chat_id: int, now: datetime | None = None) -> CrisisFacts:
        """The person's country, role, plan and live flow: one statement, one round trip."""
        moment = now or utcnow()
        check_aware(moment)
        live = and_(flows.c.chat_id == chat_id, flows.c.slot == "flow", flows.c.expires_at > moment)
        person = users.c.chat_id == chat_id
        stmt = select(
            select(users.c.country).where(person).scalar_subquery().label("country"),
            select(users.c.role).where(person).scalar_subquery().label("role"),
            select(safety_plans.c.plan)
            .where(safety_plans.c.chat_id == chat_id)
            .scalar_subquery()
            .label("plan"),
            select(flows.c.kind).where(live).scalar_subquery().label("flow_kind"),
            select(flows.c.state).where(live).scalar_subquery().label("flow_state"),
        )
        try:
            row = await self._one(stmt)
        except StorageError:
            # A pooled connection that died idle (no ping before use on the urgent pool):
            # dropped now, with every older one; a fresh connection answers.
            row = await self._one(stmt)
        role = row.role
        if role is not None and role not in ROLES:
            log.warning("user row has an unknown role; treating it as unset")
            role = None
        try:
            plan = parse_plan(row.plan)
        except CorruptRowError:
            plan = None  # help lines first: an unreadable plan never holds them up
        return CrisisFacts(row.country, role, plan, row.flow_kind, row.flow_state or "")

    async def _one(self, stmt: Select[Any]) -> Row[Any]:
        async with self.db.read(single=True) as conn:
            row: Row[Any] = (await conn.execute(stmt)).one()
        return row
