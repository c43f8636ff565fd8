"""/progress: the last weeks at a glance, the start date, milestones and new starts.

``/progress start 2026-10-01`` sets (or corrects) the start date. ``/progress newstart
[date]`` (or the button) logs a new start after a setback: the finished stretch is kept,
so the longest stretch is never lost.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.checkins import progress
from bot.checkins.texts import CheckinTexts
from bot.conversation import actions
from bot.conversation.reply import Button, Chat, Reply, Rows

if TYPE_CHECKING:
    from bot.conversation import Conversation

PREFIX = "pr"
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def parse_date(text: str, today: date) -> date | None:
    """'2026-10-01', 'today' or 'yesterday'; None for anything else or a future date."""
    word = text.strip().lower()
    if word in ("", "today"):
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    try:
        found = date.fromisoformat(word)
    except ValueError:
        return None
    return found if found <= today else None


class ProgressCommand:
    def __init__(self, conversation: Conversation, texts: CheckinTexts) -> None:
        self.conversation = conversation
        self.texts = texts

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def _zone(self, chat: Chat) -> ZoneInfo:
        user = await self.conversation.user(chat)
        name = getattr(user, "timezone", None)
        if not name:
            settings = await self.conversation.store.checkins.get(chat.id)
            name = settings.timezone if settings else "UTC"
        return ZoneInfo(name)

    async def _today(self, chat: Chat) -> date:
        return self._now().astimezone(await self._zone(chat)).date()

    def _rows(self, has_start: bool) -> Rows:
        p = self.texts.sections["progress"]
        if has_start:
            return ((Button(p["new_start_button"], actions.make(PREFIX, "new")),),)
        return ((Button(p["start_today_button"], actions.make(PREFIX, "today")),),)

    async def show(self, chat: Chat) -> list[Reply]:
        zone = await self._zone(chat)
        today = self._now().astimezone(zone).date()
        answers = await self.conversation.store.checkins.answers(chat.id, EPOCH)
        user = await self.conversation.user(chat)
        start = getattr(user, "recovery_start", None)
        text = progress.render(self.texts, answers, zone, today, start)
        return [Reply(text, self._rows(start is not None))]

    async def set_start(self, chat: Chat, start: date) -> list[Reply]:
        await self.conversation.update_user(chat.id, recovery_start=start)
        text = self.texts.get("progress", "start_set", start=start.isoformat())
        return [Reply(text), *await self.show(chat)]

    async def new_start(self, chat: Chat, start: date) -> list[Reply]:
        """Keep the stretch that ended, then count from ``start``."""
        user = await self.conversation.user(chat)
        old: date | None = getattr(user, "recovery_start", None)
        if old is not None and start > old:
            days = (start - old).days
            await self.conversation.store.checkins.record_answer(
                chat.id, progress.stretch_marker(days), None, self._now()
            )
        await self.conversation.update_user(chat.id, recovery_start=start)
        answers = await self.conversation.store.checkins.answers(chat.id, EPOCH)
        today = await self._today(chat)
        longest = progress.longest_stretch(answers, max(0, (today - start).days))
        text = self.texts.get(
            "progress", "new_start", start=start.isoformat(), longest=progress.plural_days(longest)
        )
        return [Reply(text)]

    async def command(self, chat: Chat, args: str) -> list[Reply]:
        """/progress, /progress start <date>, /progress newstart [date]."""
        word, _, rest = args.strip().partition(" ")
        word = word.lower()
        if word not in ("start", "newstart"):
            return await self.show(chat)
        when = parse_date(rest, await self._today(chat))
        if when is None:
            return [Reply(self.texts.get("progress", "bad_date"))]
        if word == "start":
            return await self.set_start(chat, when)
        return await self.new_start(chat, when)

    async def action(self, chat: Chat, args: list[str]) -> list[Reply]:
        op = args[0] if len(args) == 1 else ""
        if op == "today":
            return await self.set_start(chat, await self._today(chat))
        if op == "new":
            p = self.texts.sections["progress"]
            button = Button(p["new_today_button"], actions.make(PREFIX, "newtoday"))
            return [Reply(p["new_start_ask"], ((button,),))]
        if op == "newtoday":
            return await self.new_start(chat, await self._today(chat))
        return await self.conversation.old_button(chat)
