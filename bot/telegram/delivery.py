"""Sending replies: priorities, and what happens when a person blocked the bot.

Retries, pacing and Telegram's limits live in the rate limiter (:mod:`bot.telegram.limiter`),
which every call passes through; this module says how urgent each message is and turns a 403
(the person blocked the bot) into ``active=False`` in the store so check-ins stop.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import Forbidden

from bot.conversation.reply import Reply
from bot.telegram.budget import Priority
from bot.telegram.render import messages

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def priority_of(reply: Reply, default: Priority = Priority.REPLY) -> Priority:
    """Crisis replies and help lines go first; everything else keeps ``default``."""
    return Priority.CRISIS if getattr(reply, "urgent", False) else default


def rate_args(bot: Bot, priority: Priority) -> dict[str, Any]:
    """``rate_limit_args`` for a PTB call (only allowed when the bot has a rate limiter)."""
    return {"rate_limit_args": priority} if getattr(bot, "rate_limiter", None) else {}


async def mark_inactive(store: Any, chat_id: int) -> None:
    """The person blocked the bot: stop scheduled messages to them."""
    try:
        user = await store.people.get(chat_id)
        if user is not None and user.active:
            await store.people.update(chat_id, active=False)
            log.info("a person blocked the bot; messages to them stop until they write again")
            await store.counters.count("blocked")
    except Exception as exc:
        log.error("could not mark a chat inactive: %s", type(exc).__name__)


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    *,
    reply_to: int | None = None,
    priority: Priority | None = None,
) -> list[Message]:
    """Send one reply (several messages when long). Raises Forbidden for the caller to handle,
    and ``GaveUp`` when the retry budget ran out (already logged)."""
    level = priority if priority is not None else priority_of(reply)
    sent: list[Message] = []
    for text, markup in messages(reply):
        params = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None and not sent
            else None
        )
        sent.append(
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=params,
                link_preview_options=NO_PREVIEW,
                **rate_args(bot, level),
            )
        )
    return sent


class TelegramSender:
    """``bot.conversation.Sender`` for Telegram: what check-ins use to reach people.

    Messages the bot starts itself go last in the send queue (``Priority.CHECKIN``), unless
    the reply is urgent.
    """

    def __init__(self, bot: Bot, store: Any) -> None:
        self.bot = bot
        self.store = store

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """Deliver ``reply``; False (and the person marked inactive) when they blocked the bot."""
        try:
            await send_reply(
                self.bot, chat_id, reply, priority=priority_of(reply, Priority.CHECKIN)
            )
        except Forbidden:
            await mark_inactive(self.store, chat_id)
            return False
        return True
