"""``recovery-bot stats``: the operator report. Counts only; no chat ids, no message text."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from typing import TextIO

from bot.config import Settings
from bot.storage.errors import StorageError
from bot.storage.models import Stats
from bot.storage.store import Store


def format_stats(s: Stats) -> str:
    """The report as plain text, one fact a line."""
    window = f"since {s.since.isoformat()}" if s.since else "all time"
    roles = ", ".join(f"{role} {n}" for role, n in s.users_by_role.items()) or "none"
    lines = [
        "recovery-bot stats",
        f"users: {s.users} ({roles})",
        f"users with consent: {s.consented_users}",
        f"users seen in the last 7 days: {s.active_users_7d}",
        f"active check-ins: {s.active_checkins}",
        f"safety plans: {s.safety_plans}",
        f"-- messages ({window}) --",
        f"messages: {s.messages}",
        f"answers: {s.answers}",
        f"suggestions: {s.suggestions}",
        f"fallbacks: {s.fallbacks} (fallback rate {s.fallback_rate:.1%})",
        f"crisis responses: {sum(s.crisis_per_kind.values())}",
    ]
    lines += [f"  crisis {kind}: {n}" for kind, n in s.crisis_per_kind.items()]
    lines.append("answers per intent:")
    lines += [f"  {intent}: {n}" for intent, n in s.answers_per_intent.items()] or ["  (none)"]
    lines.append("feedback per intent (helpful / not helpful):")
    lines += [
        f"  {intent}: {up} / {down}" for intent, (up, down) in s.feedback_per_intent.items()
    ] or ["  (none)"]
    retries = ", ".join(f"{cause} {n}" for cause, n in s.send_retries.items()) or "none"
    failed = ", ".join(f"{kind} {n}" for kind, n in s.sends_failed.items()) or "none"
    lines += [
        f"-- delivery ({window}) --",
        f"send retries: {sum(s.send_retries.values())} ({retries})",
        f"sends given up: {sum(s.sends_failed.values())} ({failed})",
        f"updates delivered twice by Telegram (answered once): {s.duplicate_updates}",
        f"people who blocked the bot: {s.blocked}",
    ]
    return "\n".join(lines)


async def _collect(database_url: str, since: date | None) -> Stats:
    store = await Store.open(database_url)
    try:
        return await store.counters.stats(since)
    finally:
        await store.close()


def run_stats(settings: Settings, since: date | None = None, out: TextIO | None = None) -> int:
    """Print the operator report from the database; 0 on success, 1 with a message on error."""
    out = out or sys.stdout
    try:
        stats = asyncio.run(_collect(settings.database_url, since))
    except StorageError as exc:
        print(f"recovery-bot stats: {exc}", file=sys.stderr)
        return 1
    print(format_stats(stats), file=out)
    return 0
