"""Processed update ids: every instance answers a Telegram update at most once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database, utcnow
from bot.storage.schema import processed_updates

UPDATE_MEMORY = timedelta(days=2)
"""How long a processed update id is remembered (Telegram gives up on an update after 24 h)."""
PRUNE_EVERY = 3600.0


class Updates:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.next_prune = 0.0

    async def claim(self, bot_id: int, update_id: int, now: datetime | None = None) -> bool:
        """Record that this update is being answered; False if any instance already took it."""
        return update_id in await self.claim_many(bot_id, [update_id], now)

    async def claim_many(
        self, bot_id: int, update_ids: list[int], now: datetime | None = None
    ) -> set[int]:
        """Claim several updates in one transaction; returns the ids that were new."""
        if not update_ids:
            return set()
        async with self.db.write() as conn:
            return await self.claim_in(conn, bot_id, update_ids, now or utcnow())

    async def claim_in(
        self, conn: AsyncConnection, bot_id: int, update_ids: list[int], moment: datetime
    ) -> set[int]:
        """The claim inside a caller's transaction (the inbox stores the update with it)."""
        rows = [
            {"bot_id": bot_id, "update_id": update_id, "seen_at": moment}
            for update_id in dict.fromkeys(update_ids)
        ]
        stmt = (
            self.db.insert(processed_updates)
            .values(rows)
            .on_conflict_do_nothing(
                index_elements=[processed_updates.c.bot_id, processed_updates.c.update_id]
            )
            .returning(processed_updates.c.update_id)
        )
        clock = asyncio.get_running_loop().time()
        new = {int(row[0]) for row in (await conn.execute(stmt)).all()}
        if clock >= self.next_prune:
            self.next_prune = clock + PRUNE_EVERY
            await conn.execute(
                delete(processed_updates).where(
                    processed_updates.c.seen_at < moment - UPDATE_MEMORY
                )
            )
        return new
