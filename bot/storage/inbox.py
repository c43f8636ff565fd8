"""The webhook inbox: an update is stored before Telegram gets its 200, and deleted once handled.

``accept`` claims the update id (``processed_updates``, shared with polling's de-duplication)
and stores the update in one transaction, with a lease: the instance that accepted it handles
it and keeps renewing the lease meanwhile. When an instance dies, its leases run out and any
other instance takes the updates over (``take_abandoned``: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two instances never take the same one). The update's JSON holds what the person
wrote: it stays only until the update is handled, and ``/forget`` erases it with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Exists, and_, delete, func, select, true, update

from bot.storage.database import Database, utcnow
from bot.storage.schema import inbox
from bot.storage.updates import Updates


def _earlier_of_its_chat() -> Exists:
    """An inbox row holds an earlier update of the same bot and chat than the row at hand."""
    earlier = inbox.alias("earlier")
    return (
        select(earlier.c.update_id)
        .where(
            and_(
                earlier.c.bot_id == inbox.c.bot_id,
                earlier.c.chat_id == inbox.c.chat_id,
                earlier.c.update_id < inbox.c.update_id,
            )
        )
        .exists()
    )


@dataclass(frozen=True)
class Pending:
    update_id: int
    payload: str


class Inbox:
    def __init__(self, db: Database, updates: Updates, coord: Database | None = None) -> None:
        self.db = db
        self.updates = updates
        self.coord = coord or db
        """Lease renewals and take-overs: the coordination pool (see Store.coord)."""

    async def accept(
        self,
        bot_id: int,
        update_id: int,
        payload: str,
        *,
        chat_id: int | None,
        lease: timedelta,
        now: datetime | None = None,
    ) -> bool:
        """Store a new update (True) or recognise one already taken (False), atomically."""
        moment = now or utcnow()
        async with self.db.write() as conn:
            if update_id not in await self.updates.claim_in(conn, bot_id, [update_id], moment):
                return False
            await conn.execute(
                inbox.insert().values(
                    bot_id=bot_id,
                    update_id=update_id,
                    chat_id=chat_id,
                    payload=payload,
                    received_at=moment,
                    lease_until=moment + lease,
                )
            )
        return True

    async def accept_many(
        self,
        bot_id: int,
        updates: list[tuple[int, str, int | None]],
        *,
        lease: timedelta,
        now: datetime | None = None,
    ) -> tuple[set[int], set[int]]:
        """:meth:`accept` for updates that arrived together (``(update_id, payload, chat_id)``):
        one transaction to store them, one read for the chats' order. Returns the ids that were
        new, and those of them that must wait behind an earlier update of their chat (their
        lease is given up already: the inbox loop takes them in their turn)."""
        if not updates:
            return set(), set()
        moment = now or utcnow()
        first: dict[int, tuple[str, int | None]] = {}
        for update_id, payload, chat_id in updates:
            first.setdefault(update_id, (payload, chat_id))  # the same id twice: stored once
        async with self.db.write() as conn:
            new = await self.updates.claim_in(conn, bot_id, list(first), moment)
            rows = [
                {
                    "bot_id": bot_id,
                    "update_id": update_id,
                    "chat_id": chat_id,
                    "payload": payload,
                    "received_at": moment,
                    "lease_until": moment + lease,
                }
                for update_id, (payload, chat_id) in first.items()
                if update_id in new
            ]
            if rows:
                await conn.execute(inbox.insert(), rows)
        chats = {u: c for u, (_, c) in first.items() if u in new and c is not None}
        if not chats:
            return new, set()
        waiting = _earlier_of_its_chat()
        # After the commit, as :meth:`behind`: two instances storing a chat's updates at once
        # each see the other's, so the later one always waits.
        async with self.db.write() as conn:
            behind = {
                int(r[0])
                for r in (
                    await conn.execute(
                        select(inbox.c.update_id).where(
                            and_(
                                inbox.c.bot_id == bot_id,
                                inbox.c.update_id.in_(list(chats)),
                                waiting,
                            )
                        )
                    )
                ).all()
            }
            if behind:
                await conn.execute(
                    update(inbox)
                    .where(and_(inbox.c.bot_id == bot_id, inbox.c.update_id.in_(list(behind))))
                    .values(lease_until=moment - timedelta(seconds=1))
                )
        return new, behind

    async def behind(self, bot_id: int, chat_id: int, update_id: int) -> bool:
        """An earlier update of the same chat is still waiting (being handled, or left by an
        instance that died): this one must wait its turn, so a flow's answers are filed in
        the order the person sent them."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(inbox.c.update_id)
                    .where(
                        and_(
                            inbox.c.bot_id == bot_id,
                            inbox.c.chat_id == chat_id,
                            inbox.c.update_id < update_id,
                        )
                    )
                    .limit(1)
                )
            ).first()
        return row is not None

    async def release(self, bot_id: int, update_id: int, now: datetime | None = None) -> None:
        """Give up the lease at once: whichever instance looks next takes it, in its turn."""
        async with self.db.write() as conn:
            await conn.execute(
                update(inbox)
                .where(and_(inbox.c.bot_id == bot_id, inbox.c.update_id == update_id))
                .values(lease_until=(now or utcnow()) - timedelta(seconds=1))
            )

    async def done(self, bot_id: int, update_id: int) -> None:
        """The update is handled: its row (and the words in it) go."""
        async with self.db.write() as conn:
            await conn.execute(
                delete(inbox).where(and_(inbox.c.bot_id == bot_id, inbox.c.update_id == update_id))
            )

    async def renew(
        self, bot_id: int, update_ids: list[int], lease: timedelta, now: datetime | None = None
    ) -> None:
        """Still handling these: push their leases on."""
        if not update_ids:
            return
        until = (now or utcnow()) + lease
        async with self.coord.write() as conn:
            await conn.execute(
                update(inbox)
                .where(and_(inbox.c.bot_id == bot_id, inbox.c.update_id.in_(update_ids)))
                .values(lease_until=until)
            )

    async def take_abandoned(
        self,
        bot_id: int,
        lease: timedelta,
        *,
        limit: int = 50,
        now: datetime | None = None,
        chat_id: int | None = None,
    ) -> list[Pending]:
        """Updates whose lease ran out (their instance died, or they waited their turn), oldest
        first and at most one per chat (only ``chat_id``'s, if given), now leased to us."""
        moment = now or utcnow()
        # Only the oldest waiting update of each chat: the next one is taken once it is done.
        first_of_chat = ~_earlier_of_its_chat()
        stmt = (
            select(inbox.c.update_id, inbox.c.payload)
            .where(and_(inbox.c.bot_id == bot_id, inbox.c.lease_until < moment, first_of_chat))
            .where(true() if chat_id is None else inbox.c.chat_id == chat_id)
            .order_by(inbox.c.received_at, inbox.c.update_id)
            .limit(limit)
        )
        if self.db.pg:
            stmt = stmt.with_for_update(skip_locked=True)
        async with self.coord.write() as conn:
            rows = (await conn.execute(stmt)).all()
            if rows:
                await conn.execute(
                    update(inbox)
                    .where(
                        and_(
                            inbox.c.bot_id == bot_id,
                            inbox.c.update_id.in_([r.update_id for r in rows]),
                        )
                    )
                    .values(lease_until=moment + lease)
                )
        return [Pending(int(r.update_id), str(r.payload)) for r in rows]

    async def waiting(self, bot_id: int) -> int:
        """How many updates are stored and not yet handled (tests, doctor)."""
        async with self.db.read() as conn:
            n = (
                await conn.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.bot_id == bot_id)
                )
            ).scalar_one()
        return int(n)
