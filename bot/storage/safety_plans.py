"""The safety-plan aggregate: one JSON plan per chat, the only words a person asked us to keep."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete, select

from bot.storage.database import Database, utcnow
from bot.storage.errors import CorruptRowError
from bot.storage.schema import safety_plans

log = logging.getLogger(__name__)

MAX_PLAN_BYTES = 16_000


def check_plan(plan: Any) -> None:
    if not isinstance(plan, dict):
        raise ValueError("a safety plan is a mapping of section name to a list of items")
    for section, items in plan.items():
        if not isinstance(section, str) or not isinstance(items, list):
            raise ValueError("a safety plan is a mapping of section name to a list of items")
        if not all(isinstance(item, str) for item in items):
            raise ValueError("safety plan items must be text")


def parse_plan(raw: str | None) -> dict[str, list[str]] | None:
    """A stored plan's JSON as a plan (None: none). Unreadable: CorruptRowError."""
    if raw is None:
        return None
    try:
        plan = json.loads(raw)
        check_plan(plan)
    except (ValueError, TypeError):
        log.warning("a stored safety plan is unreadable (content not logged)")
        raise CorruptRowError(
            "the saved safety plan could not be read; it can be written again"
        ) from None
    return plan  # type: ignore[no-any-return]


class SafetyPlans:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int) -> dict[str, list[str]] | None:
        """The saved plan, or None. A plan that cannot be read raises CorruptRowError."""
        async with self.db.read() as conn:
            raw = (
                await conn.execute(
                    select(safety_plans.c.plan).where(safety_plans.c.chat_id == chat_id)
                )
            ).scalar()
        return parse_plan(raw)

    async def save(self, chat_id: int, plan: dict[str, list[str]]) -> None:
        check_plan(plan)
        data = json.dumps(plan, ensure_ascii=False, separators=(",", ":"))
        if len(data.encode()) > MAX_PLAN_BYTES:
            raise ValueError("the safety plan is too long to store")
        stmt = self.db.insert(safety_plans).values(chat_id=chat_id, plan=data, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[safety_plans.c.chat_id],
            set_={"plan": stmt.excluded.plan, "updated_at": stmt.excluded.updated_at},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)

    async def delete(self, chat_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(safety_plans).where(safety_plans.c.chat_id == chat_id))
