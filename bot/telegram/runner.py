"""``recovery-bot run``: the Telegram bot, by polling or (with WEBHOOK_URL) by webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from telegram.error import InvalidToken, TelegramError

from bot.config import Settings

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")

NO_TOKEN = """\
recovery-bot: TELEGRAM_BOT_TOKEN is not set.

To run the Telegram bot you need a token:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Pick a name and a username; BotFather replies with a token like 123456789:AAE...
  3. export TELEGRAM_BOT_TOKEN='<that token>' and run `recovery-bot run` again.

To try the bot without Telegram, run `recovery-bot chat` (it works with no token).
"""

BAD_TOKEN = """\
recovery-bot: TELEGRAM_BOT_TOKEN does not look like a bot token.

A token has digits, a colon, then letters, e.g. 123456789:AAE... (BotFather sends it when you
create a bot with /newbot; /token in @BotFather shows it again). Check for stray quotes or spaces.
To try the bot without Telegram, run `recovery-bot chat`.
"""

REJECTED_TOKEN = """\
recovery-bot: Telegram rejected TELEGRAM_BOT_TOKEN (it was revoked or mistyped).
Get the current token from @BotFather (/mybots -> your bot -> API Token).
To try the bot without Telegram, run `recovery-bot chat`.
"""


def configure_logging(settings: Settings) -> None:
    """Quiet, private logs (:mod:`bot.logs`): INFO for our code, libraries at WARNING,
    nothing personal at any level, the token redacted, LOG_FORMAT=json for collectors."""
    from bot import logs

    logs.configure(
        level=settings.log_level,
        fmt=settings.log_format,
        token=settings.telegram_bot_token,
        debug_module=settings.log_debug,
    )


def run(settings: Settings, *, err: TextIO | None = None) -> int:
    """Run the bot until stopped; 0 on a clean stop, 2 on configuration errors."""
    err = err or sys.stderr
    token = settings.telegram_bot_token
    if not token:
        err.write(NO_TOKEN)
        return EXIT_CONFIG
    if not TOKEN_RE.match(token):
        err.write(BAD_TOKEN)
        return EXIT_CONFIG
    configure_logging(settings)

    from bot.telegram.app import build_application
    from bot.understanding.engine import Engine

    problem = asyncio.run(_preflight(settings))
    if problem is not None:
        err.write(problem)
        return EXIT_CONFIG if problem == REJECTED_TOKEN else 1
    engine = Engine.load(settings.default_country)
    application = build_application(settings, engine)
    try:
        if settings.webhook_url:
            from bot.telegram.webhook import serve

            asyncio.run(serve(application, settings))
        else:
            _poll(application, health_port(os.environ))
    except InvalidToken:
        err.write(REJECTED_TOKEN)
        return EXIT_CONFIG
    except TelegramError as exc:
        err.write(f"recovery-bot: Telegram error at start-up: {exc}\n")
        return 1
    return 0


async def _preflight(settings: Settings) -> str | None:
    """Check the token with one getMe, so a bad token is a clear message, not a retry loop."""
    from telegram import Bot

    try:
        async with Bot(settings.telegram_bot_token or "", base_url=settings.telegram_api_base_url):
            return None
    except InvalidToken:
        return REJECTED_TOKEN
    except TelegramError as exc:
        return f"recovery-bot: cannot reach the Telegram Bot API ({type(exc).__name__}: {exc}).\n"


def health_port(env: Mapping[str, str]) -> int | None:
    """In polling mode, the port to serve ``/healthz`` on: ``PORT`` when the platform sets it.

    A Procfile ``web`` process (Heroku, Dokku, Render) is killed unless it listens on ``$PORT``
    soon after boot, and a container health check needs something to ask; a plain polling bot
    (``worker``, no ``PORT``) listens on nothing.
    """
    raw = env.get("PORT", "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 65536 else None


def _poll(application: Any, port: int | None = None) -> None:
    from bot.telegram.app import ALLOWED_UPDATES, shutdown, startup

    server: Any = None

    async def post_init(app: Any) -> None:
        nonlocal server
        if port is not None:
            from bot.telegram.webhook import start_health_server

            server = start_health_server(app, port)
        await startup(app)

    async def post_shutdown(app: Any) -> None:
        if server is not None:
            server.stop()
        await shutdown(app)

    application.post_init = post_init
    application.post_shutdown = post_shutdown
    application.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
