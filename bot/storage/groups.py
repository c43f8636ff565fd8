"""The group aggregate: per-group settings chosen by its admins (the crisis watch)."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.schema import group_settings


class Groups:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def crisis_watch(self, chat_id: int) -> bool:
        async with self.db.read() as conn:
            value = (
                await conn.execute(
                    select(group_settings.c.crisis_watch).where(group_settings.c.chat_id == chat_id)
                )
            ).scalar()
        return True if value is None else bool(value)

    async def set_crisis_watch(self, chat_id: int, on: bool) -> None:
        stmt = self.db.insert(group_settings).values(chat_id=chat_id, crisis_watch=on)
        stmt = stmt.on_conflict_do_update(
            index_elements=[group_settings.c.chat_id],
            set_={"crisis_watch": stmt.excluded.crisis_watch},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)
