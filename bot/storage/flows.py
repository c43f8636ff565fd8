"""The flow aggregate: where each chat is in a multi-step exchange, with an expiry.

One row per (chat, slot). Slot ``flow`` holds the exchange waiting for the chat's next text
(the safety plan's step, the check-in set-up's choices so far); any instance reads it, so a
person whose messages land on different instances goes on where they were. A state is a
short string of ids and numbers (``weekly:2:0900``, ``3``): what the person wrote is never
kept here (the safety plan's words go to ``safety_plans``, which the flow saves as it goes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select

from bot.storage.database import Database, check_aware, utcnow
from bot.storage.schema import flows

_SLOT_RE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_.]{0,31}$")
_STATE_RE = re.compile(r"^[A-Za-z0-9_.:,;|/+-]{0,255}$")
"""No spaces: a state is ids, numbers and time-zone names, so no sentence fits in it."""
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class FlowState:
    kind: str
    state: str
    expires_at: datetime


class Flows:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._next_prune: datetime | None = None

    async def get(
        self, chat_id: int, slot: str = "flow", now: datetime | None = None
    ) -> FlowState | None:
        """The chat's live state in ``slot``, or None (none, or expired)."""
        moment = now or utcnow()
        check_aware(moment)
        stmt = select(flows.c.kind, flows.c.state, flows.c.expires_at).where(
            and_(flows.c.chat_id == chat_id, flows.c.slot == slot, flows.c.expires_at > moment)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else FlowState(row.kind, row.state, row.expires_at)

    async def put(
        self,
        chat_id: int,
        kind: str,
        state: str = "",
        *,
        ttl: timedelta,
        slot: str = "flow",
        now: datetime | None = None,
    ) -> None:
        """Start or move on a flow; it lapses ``ttl`` after this call."""
        if not _SLOT_RE.match(slot) or not _KIND_RE.match(kind):
            raise ValueError("flow slot and kind are short ids")
        if not _STATE_RE.match(state):
            raise ValueError("a flow state holds ids and numbers only, never text")
        moment = now or utcnow()
        check_aware(moment)
        expires = moment + ttl
        stmt = self.db.insert(flows).values(
            chat_id=chat_id, slot=slot, kind=kind, state=state, expires_at=expires
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[flows.c.chat_id, flows.c.slot],
            set_={
                "kind": stmt.excluded.kind,
                "state": stmt.excluded.state,
                "expires_at": stmt.excluded.expires_at,
            },
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)
            if self._next_prune is None or moment >= self._next_prune:
                self._next_prune = moment + PRUNE_EVERY
                await conn.execute(delete(flows).where(flows.c.expires_at <= moment))

    async def drop(self, chat_id: int, slot: str | None = "flow") -> None:
        """End the chat's flow in ``slot`` (None: every slot)."""
        cond = flows.c.chat_id == chat_id
        if slot is not None:
            cond = and_(cond, flows.c.slot == slot)
        async with self.db.write() as conn:
            await conn.execute(delete(flows).where(cond))
