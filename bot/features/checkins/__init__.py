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
from bot.conversation.reply import Chat, Reply
from bot.features.checkins import messages
from bot.features.checkins.progress_cmd import ProgressCommand
from bot.features.checkins.setup import CheckinSetup

if TYPE_CHECKING:
    from bot.conversation import Conversation


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
        if op == "now" and len(args) == 1:
            return [messages.checkin_message(self.texts)]
        if op == "plan" and len(args) == 1:
            from bot.conversation import safety_plan_flow

            return await safety_plan_flow.show(self.conversation, chat)
        replies = await self.setup.action(chat, args)
        return replies or await self.conversation.old_button(chat)

    def checkin_sender(self, sender: Sender) -> CheckinSender:
        settings = self.conversation.settings
        return CheckinSender(
            self.conversation.store,
            sender,
            self.conversation,
            self.message_for,
            rate=settings.checkin_send_rate,
            grace=timedelta(minutes=settings.checkin_grace_minutes),
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
    conversation.register_command(
        "progress", feature.progress.command, "Your check-ins and milestones"
    )
    conversation.register_action("pr", feature.progress.action)
    conversation.on_startup(feature.on_startup)
    conversation.on_shutdown(feature.on_shutdown)
    return feature
