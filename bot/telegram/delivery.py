"""Sending with Telegram's failure modes handled: flood limits, timeouts, 5xx, blocked users.

``AIORateLimiter`` (set up in :mod:`bot.telegram.app`) paces requests and retries RetryAfter;
this module adds retries with backoff for timeouts and server errors, and turns a 403 (the
person blocked the bot) into ``active=False`` in the store so check-ins stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.conversation.reply import Reply
from bot.telegram.render import messages

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRIES = 3
BACKOFF = 0.5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def with_retry(call: Callable[[], Awaitable[T]], *, retries: int = RETRIES) -> T:
    """Run ``call``; on timeouts, network and 5xx errors, and flood waits, retry with backoff."""
    delay = BACKOFF
    for attempt in range(retries + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == retries:
                raise
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            await asyncio.sleep(seconds + 0.1)
        except (Forbidden, BadRequest):
            raise  # permanent: retrying can't help (BadRequest subclasses NetworkError)
        except (TimedOut, NetworkError):
            if attempt == retries:
                raise
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def mark_inactive(store: Any, chat_id: int) -> None:
    """The person blocked the bot: stop scheduled messages to them."""
    try:
        if await store.get_user(chat_id) is not None:
            await store.update_user(chat_id, active=False)
    except Exception:
        log.exception("could not mark chat inactive")


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None
) -> list[Message]:
    """Send one reply (several messages when long). Raises Forbidden for the caller to handle."""
    sent: list[Message] = []
    for text, markup in messages(reply):
        params = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None and not sent
            else None
        )

        async def call(
            text: str = text,
            markup: InlineKeyboardMarkup | None = markup,
            params: ReplyParameters | None = params,
        ) -> Message:
            return await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=params,
                link_preview_options=NO_PREVIEW,
            )

        sent.append(await with_retry(call))
    return sent


class TelegramSender:
    """``bot.conversation.Sender`` for Telegram: what check-ins use to reach people."""

    def __init__(self, bot: Bot, store: Any) -> None:
        self.bot = bot
        self.store = store

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """Deliver ``reply``; False (and the person marked inactive) when they blocked the bot."""
        try:
            await send_reply(self.bot, chat_id, reply)
        except Forbidden:
            await mark_inactive(self.store, chat_id)
            return False
        return True
