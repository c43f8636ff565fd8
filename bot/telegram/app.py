"""Building the python-telegram-bot Application: one place for all wiring."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.conversation import Conversation, load_features
from bot.conversation.ports import EngineLike
from bot.storage.budget import SlotBudgets
from bot.telegram import handlers
from bot.telegram.budget import LocalSendBudget
from bot.telegram.delivery import TelegramSender
from bot.telegram.limiter import DeliveryLimiter
from bot.telegram.request import poll_request, send_request
from bot.telegram.shared_budget import SharedSendBudget

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


CONCURRENT_UPDATES = 4096
"""Updates handled at once. Handlers mostly wait (on Telegram, on the send budget), so this is
high: a crisis message must be read at once, not queue behind hundreds of answers that wait
for their turn to send; the send budget, not this number, decides who goes first."""


def rate_limiter(limit_rate: bool = True) -> DeliveryLimiter:
    """Telegram's published limits (~30 messages/s overall, 20/min per group, ~1/s per chat),
    crisis replies first, and the retry budgets of :mod:`bot.telegram.budget`."""
    return DeliveryLimiter(LocalSendBudget() if limit_rate else LocalSendBudget.unlimited())


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
    builder = builder.request(request or send_request(read_timeout=settings.telegram_send_timeout))
    builder = builder.get_updates_request(updates_request or poll_request())
    # Always installed: it also retries. limit_rate=False only lifts the rate limits.
    builder = builder.rate_limiter(rate_limiter(limit_rate))
    # Handlers are independent per chat; run them concurrently so one slow send can't stall all.
    builder = builder.concurrent_updates(CONCURRENT_UPDATES)
    application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    application.bot_data["engine"] = engine
    application.bot_data["settings"] = settings
    application.bot_data["open_store"] = open_store
    register(application)
    return application


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """All handlers, in one place; order matters within group 0 (first match wins)."""
    # Before every other handler: an update already taken (Telegram redelivered it) stops here.
    application.add_handler(TypeHandler(Update, handlers.claim_update), group=-1)
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
    features = load_features(conversation)
    application.bot_data["services"] = handlers.Services(conversation, store)
    application.bot_data["claims"] = handlers.UpdateClaims(store, application.bot.id)
    limiter = application.bot.rate_limiter
    if isinstance(limiter, DeliveryLimiter):
        limiter.on_event = conversation.counters.add
        budget = limiter.budget
        # Several instances may send for this token: one budget for them all, in Redis when
        # REDIS_URL is set, else in the database (unless rate limits are off, as in offline
        # tests). SQLite is one instance: it keeps the budget in this process.
        if isinstance(budget, LocalSendBudget) and budget.overall.rate > 0 and store.budget.shared:
            limiter.budget = SharedSendBudget(
                shared_slots(application, settings, store), application.bot.id, settings.send_budget
            )
        elif settings.redis_url:
            log.warning("REDIS_URL is not used: one SQLite instance keeps its send budget itself")
    await conversation.start(TelegramSender(application.bot, store))
    commands = [BotCommand(name, text) for name, text in conversation.menu_commands()]
    await application.bot.set_my_commands(commands)
    await application.bot.set_my_commands(
        [BotCommand(name, text) for name, text in GROUP_COMMANDS],
        scope=BotCommandScopeAllGroupChats(),
    )
    health = application.bot_data.get("health_port")
    mode = (
        f"webhook on port {settings.port}"
        if settings.webhook_url
        else f"polling, /healthz on port {health}"
        if health
        else "polling"
    )
    log.info(
        "recovery-bot %s started: %s, %s database, %d intents in the catalog, features: %s",
        version(),
        mode,
        "PostgreSQL" if store.backend == "postgresql" else "SQLite",
        len(engine.catalog.intents),
        ", ".join(features) or "none",
    )


def shared_slots(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, store: Any
) -> SlotBudgets:
    """Where every instance takes its send slots: Redis when ``REDIS_URL`` is set (closed by
    :func:`shutdown`), else the database's row."""
    if not settings.redis_url:
        budgets: SlotBudgets = store.budget
        return budgets
    from bot.storage.redis_budget import RedisSendBudgets

    redis = RedisSendBudgets.open(settings.redis_url)
    application.bot_data["redis_budget"] = redis
    return redis


def version() -> str:
    """The installed recovery-bot version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("recovery-bot")
    except PackageNotFoundError:
        return "(not installed)"


async def shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop features, then close the store if we opened it."""
    services = application.bot_data.get("services")
    if services is not None:
        await services.conversation.stop()
    redis = application.bot_data.pop("redis_budget", None)
    if redis is not None:
        with contextlib.suppress(Exception):  # unreachable: nothing to close
            await redis.close()
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
