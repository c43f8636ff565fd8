"""Anonymous counts: daily counters, 👍/👎 per intent, and the operator report built on them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select, true

from bot.storage.database import Database, utcnow
from bot.storage.models import Stats
from bot.storage.schema import checkins, counters, feedback, safety_plans, users

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Counter keys are ids (intent id, crisis kind, country); the pattern keeps prose out.
_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


class Counters:
    """Counts of events, never who or what; ``stats`` reads them with a few aggregates."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def count(self, name: str, key: str = "", *, n: int = 1, day: date | None = None) -> None:
        """Add ``n`` to the daily counter (name, key): one atomic upsert on both backends."""
        if not _NAME_RE.match(name):
            raise ValueError("counter name must be a short snake_case id")
        if not _KEY_RE.match(key):
            raise ValueError("counter key must be an id (letters, digits, _ . : -), not text")
        stmt = self.db.insert(counters).values(day=day or utcnow().date(), name=name, key=key, n=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=[counters.c.day, counters.c.name, counters.c.key],
            set_={"n": counters.c.n + stmt.excluded.n},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)

    async def record_feedback(self, intent: str, helpful: bool, *, day: date | None = None) -> None:
        """Count one 👍/👎 for an intent; who gave it is not stored."""
        if not _KEY_RE.match(intent) or not intent:
            raise ValueError("intent must be an intent id")
        column = "helpful" if helpful else "not_helpful"
        stmt = self.db.insert(feedback).values(
            day=day or utcnow().date(), intent=intent, **{column: 1}
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[feedback.c.day, feedback.c.intent],
            set_={column: feedback.c[column] + 1},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)

    async def stats(self, since: date | None = None, *, today: date | None = None) -> Stats:
        """Counts for operators; ``since`` limits the daily counters and feedback."""
        today = today or utcnow().date()
        day_ok = counters.c.day >= since if since else true()
        fb_ok = feedback.c.day >= since if since else true()
        async with self.db.read(snapshot=True) as conn:
            total = (await conn.execute(select(func.count()).select_from(users))).scalar_one()
            by_role = {
                (role or "unset"): n
                for role, n in (
                    await conn.execute(select(users.c.role, func.count()).group_by(users.c.role))
                ).all()
            }
            consented = (
                await conn.execute(select(func.count()).where(users.c.consent.is_(True)))
            ).scalar_one()
            recent = (
                await conn.execute(
                    select(func.count()).where(users.c.last_seen >= today - timedelta(days=6))
                )
            ).scalar_one()
            active_checkins = (
                await conn.execute(
                    select(func.count()).where(
                        checkins.c.frequency != "off", checkins.c.paused.is_(False)
                    )
                )
            ).scalar_one()
            plans = (
                await conn.execute(select(func.count()).select_from(safety_plans))
            ).scalar_one()
            sums: dict[tuple[str, str], int] = {
                (name, key): int(n)
                for name, key, n in (
                    await conn.execute(
                        select(counters.c.name, counters.c.key, func.sum(counters.c.n))
                        .where(day_ok)
                        .group_by(counters.c.name, counters.c.key)
                    )
                ).all()
            }
            fb = {
                intent: (int(up), int(down))
                for intent, up, down in (
                    await conn.execute(
                        select(
                            feedback.c.intent,
                            func.sum(feedback.c.helpful),
                            func.sum(feedback.c.not_helpful),
                        )
                        .where(fb_ok)
                        .group_by(feedback.c.intent)
                    )
                ).all()
            }

        def per_key(name: str) -> dict[str, int]:
            return dict(
                sorted(
                    ((k, n) for (c, k), n in sums.items() if c == name),
                    key=lambda kv: (-kv[1], kv[0]),
                )
            )

        def total_of(name: str) -> int:
            return sum(n for (c, _k), n in sums.items() if c == name)

        return Stats(
            users=int(total),
            users_by_role=dict(sorted(by_role.items())),
            consented_users=int(consented),
            active_users_7d=int(recent),
            active_checkins=int(active_checkins),
            safety_plans=int(plans),
            messages=total_of("message"),
            answers_per_intent=per_key("intent_hit"),
            suggestions=total_of("suggest"),
            fallbacks=total_of("fallback"),
            crisis_per_kind=per_key("crisis"),
            feedback_per_intent=dict(sorted(fb.items())),
            since=since,
            send_retries=per_key("send_retry"),
            sends_failed=per_key("send_failed"),
            duplicate_updates=total_of("duplicate_update"),
            blocked=total_of("blocked"),
        )
