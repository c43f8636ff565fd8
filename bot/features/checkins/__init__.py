"""Aftercare check-ins: /checkin (set-up), the check-in buttons, /progress, and the sender.

Loaded by both transports. In Telegram the start-up hook starts the APScheduler tick that
claims due check-ins (exactly once across instances) and sends them at the configured
rate; the terminal chat gets no tick and shows a check-in on demand with ``/checkin now``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.checkins import texts as checkin_texts
from bot.checkins.dispatcher import Claimed
from bot.checkins.sender import CheckinSender, Ticker
from bot.checkins.texts import CheckinTexts
from bot.conversation.registry import Sender
from bot.conversation.reply import Button, Chat, Reply, Rows
from bot.features.checkins import messages
from bot.features.checkins import setup as setup_mod
from bot.features.checkins.progress_cmd import ProgressCommand
from bot.features.checkins.setup import CheckinSetup

if TYPE_CHECKING:
    from bot.conversation import Conversation

SETTINGS_ZONE = "Time zone: {zone}"
SETTINGS_CHECKINS = "Check-ins: {when}"
CHECKINS_BUTTON = "⏰ Check-ins"
CHANGE_ZONE = "🕒 Change time zone"


class CheckinFeature:
    """Everything check-ins add to one conversation."""

    def __init__(self, conversation: Conversation, texts: CheckinTexts | None = None) -> None:
        self.conversation = conversation
        self.texts = texts or checkin_texts.default()
        self.setup = CheckinSetup(conversation, self.texts)
        self.progress = ProgressCommand(conversation, self.texts)
        self.ticker: Ticker | None = None

    def message_for(self, claimed: Claimed) -> Reply:
        return messages.message_for(self.texts, claimed)

    async def command(self, chat: Chat, args: str) -> list[Reply]:
        if args.strip().lower() == "now":
            return [messages.checkin_message(self.texts)]
        return await self.setup.command(chat, args)

    async def action(self, chat: Chat, args: list[str]) -> list[Reply]:
        op = args[0] if args else ""
        if op == "m" and len(args) == 2:
            return await messages.on_mood(self.conversation, self.texts, chat, args[1])
        if op == "c" and len(args) == 2:
            return await messages.on_craving(self.conversation, self.texts, chat, args[1])
        if op == "settings" and len(args) == 1:
            return await self.setup.command(chat, "")
        if op == "now" and len(args) == 1:
            return [messages.checkin_message(self.texts)]
        if op == "plan" and len(args) == 1:
            # Whatever feature owns /safetyplan answers it (none loaded: "unknown command").
            return await self.conversation.handle_command(chat, "safetyplan")
        replies = await self.setup.action(chat, args)
        return replies or await self.conversation.old_button(chat)

    async def settings(self, chat: Chat) -> tuple[list[str], Rows]:
        """The check-in part of /settings: time zone and schedule, and buttons to change them."""
        stored = await self.conversation.store.checkins.get(chat.id)
        user = await self.conversation.user(chat)
        on = stored is not None and stored.frequency != "off"
        zone = (stored.timezone if on and stored else None) or getattr(user, "timezone", None)
        lines = [SETTINGS_ZONE.format(zone=zone or "not set")]
        if on and stored is not None:
            when = setup_mod.describe(
                self.texts, stored.frequency, stored.weekday, stored.local_time, stored.timezone
            )
            lines.append(
                SETTINGS_CHECKINS.format(when=when) + (" (paused)" if stored.paused else "")
            )
            at = setup_mod.hhmm(stored.local_time)
            weekday = "-" if stored.weekday is None else str(stored.weekday)
            zone_button = Button(CHANGE_ZONE, messages.act("t", stored.frequency, weekday, at))
            rows: Rows = ((Button(CHECKINS_BUTTON, messages.act("settings")), zone_button),)
        else:
            lines.append(SETTINGS_CHECKINS.format(when="off"))
            rows = ((Button(CHECKINS_BUTTON, messages.act("settings")),),)
        return lines, rows

    def checkin_sender(self, sender: Sender) -> CheckinSender:
        settings = self.conversation.settings
        return CheckinSender(
            self.conversation.store,
            sender,
            self.conversation,
            self.message_for,
            rate=settings.checkin_send_rate,
            grace=timedelta(minutes=settings.checkin_grace_minutes),
            lease=timedelta(seconds=settings.checkin_claim_seconds),
        )

    async def on_startup(self, sender: Sender) -> None:
        """Start the tick, except in the terminal chat (it shows check-ins on demand)."""
        from bot.chat import TerminalSender

        if isinstance(sender, TerminalSender):
            return
        self.ticker = Ticker(
            self.checkin_sender(sender), self.conversation.settings.checkin_tick_seconds
        )
        self.ticker.start()

    async def on_shutdown(self) -> None:
        if self.ticker is not None:
            await self.ticker.stop()
            self.ticker = None


def register(conversation: Conversation) -> CheckinFeature:
    """Called by ``load_features``; returns the feature so tests can reach it."""
    feature = CheckinFeature(conversation)
    conversation.register_command("checkin", feature.command, "Set up, change or stop check-ins")
    conversation.register_action(messages.PREFIX, feature.action)
    conversation.register_flow(setup_mod.TIME_FLOW, feature.setup.on_time_text)
    conversation.register_flow(setup_mod.ZONE_FLOW, feature.setup.on_zone_text)
    conversation.register_command(
        "progress", feature.progress.command, "Your check-ins and milestones"
    )
    conversation.register_action("pr", feature.progress.action)
    conversation.register_settings(feature.settings)
    conversation.on_startup(feature.on_startup)
    conversation.on_shutdown(feature.on_shutdown)
    return feature
