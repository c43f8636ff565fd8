"""Building the python-telegram-bot Application: one place for all wiring."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.conversation import Conversation, load_features
from bot.conversation.ports import EngineLike
from bot.telegram import handlers
from bot.telegram.delivery import TelegramSender
from bot.telegram.pacing import PacedRateLimiter

log = logging.getLogger(__name__)

GROUP_COMMANDS = (
    ("ask", "Ask me a question"),
    ("topics", "Browse all topics"),
    ("crisis", "Help lines, right now"),
    ("help", "How I work in groups"),
    ("crisiswatch", "Admins: turn crisis replies on or off"),
)

NON_TEXT = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
)


def rate_limiter() -> PacedRateLimiter:
    """Telegram's published limits: ~30 messages/s overall, 20/min per group, ~1/s per chat.

    RetryAfter is retried; edits and button answers are not paced per chat.
    """
    return PacedRateLimiter(
        overall_max_rate=30,
        overall_time_period=1,
        group_max_rate=20,
        group_time_period=60,
        max_retries=3,
    )


def build_application(
    settings: Settings,
    engine: EngineLike,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    limit_rate: bool = True,
    open_store: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, with handlers registered; the store opens in :func:`startup`."""
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("no token")
    # Typed Any: each builder call changes its generic type (rate limiter args), not its use.
    builder: Any = ApplicationBuilder().token(token).base_url(settings.telegram_api_base_url)
    builder = builder.base_file_url(
        settings.telegram_api_base_url.rstrip("/").removesuffix("/bot") + "/file/bot"
    )
    builder = builder.request(request or HTTPXRequest(connection_pool_size=16, read_timeout=15))
    builder = builder.get_updates_request(
        updates_request or HTTPXRequest(read_timeout=40, connect_timeout=10)
    )
    if limit_rate:
        builder = builder.rate_limiter(rate_limiter())
    # Handlers are independent per chat; run them concurrently so one slow send can't stall all.
    builder = builder.concurrent_updates(64)
    application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    application.bot_data["engine"] = engine
    application.bot_data["settings"] = settings
    application.bot_data["open_store"] = open_store
    register(application)
    return application


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """All handlers, in one place; order matters within group 0 (first match wins)."""
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, handlers.on_edited))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, handlers.on_command)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, handlers.on_text)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & NON_TEXT, handlers.on_non_text)
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(
        ChatMemberHandler(handlers.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(handlers.on_error)


async def startup(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the store, build the conversation, load features, publish the command menu."""
    from bot.storage import Store

    settings: Settings = application.bot_data["settings"]
    engine: EngineLike = application.bot_data["engine"]
    store = application.bot_data.get("store")
    if store is None:
        store = await Store.open(settings.database_url)
        application.bot_data["store"] = store
        application.bot_data["owns_store"] = True
    conversation = Conversation(engine, store, settings)
    load_features(conversation)
    application.bot_data["services"] = handlers.Services(conversation, store)
    await conversation.start(TelegramSender(application.bot, store))
    commands = [BotCommand(name, text) for name, text in conversation.menu_commands()]
    await application.bot.set_my_commands(commands)
    await application.bot.set_my_commands(
        [BotCommand(name, text) for name, text in GROUP_COMMANDS],
        scope=BotCommandScopeAllGroupChats(),
    )


async def shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop features, then close the store if we opened it."""
    services = application.bot_data.get("services")
    if services is not None:
        await services.conversation.stop()
    store = application.bot_data.get("store")
    if store is not None and application.bot_data.get("owns_store"):
        await store.close()
        application.bot_data.pop("store", None)


ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
