"""Webhook mode: a small tornado server with the secret-token check and a health endpoint.

PTB's built-in webhook server has no health check a platform could probe, so this follows
PTB's "custom webhook bot" pattern: our server puts updates on ``application.update_queue``.
In polling mode with ``PORT`` set, :func:`start_health_server` serves ``/healthz`` alone, so a
platform's web process (Heroku, Render, Fly.io, a container health check) sees it listening.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from typing import Any
from urllib.parse import urlparse

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.app import ALLOWED_UPDATES, shutdown, startup
from bot.telegram.inbox import InboxWorker

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or one derived from the token: same on every instance, never guessable."""
    if settings.webhook_secret:
        return settings.webhook_secret
    token = settings.telegram_bot_token or ""
    return hashlib.sha256(b"recovery-bot webhook:" + token.encode()).hexdigest()


def webhook_path(settings: Settings) -> str:
    """The path Telegram posts to, taken from WEBHOOK_URL (``/`` when it has none)."""
    return urlparse(settings.webhook_url or "").path or "/"


class HealthHandler(tornado.web.RequestHandler):
    """``GET /healthz`` (and GET on the webhook path): 200 while the bot runs."""

    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application_ = bot_app

    def get(self) -> None:
        ok = self.application_.running
        self.set_status(200 if ok else 503)
        self.write({"status": "ok" if ok else "starting"})


class UpdateHandler(HealthHandler):
    """``POST <webhook path>``: checks the secret, stores the update, then answers 200.

    The 200 comes only after the update is in the database inbox (:mod:`bot.telegram.inbox`):
    an instance that dies afterwards loses nothing, another one handles the update. A database
    that cannot store it gets Telegram a 503, and Telegram sends the update again.
    """

    def initialize(  # type: ignore[override]
        self, bot_app: Application[Any, Any, Any, Any, Any, Any], secret: str
    ) -> None:
        super().initialize(bot_app)
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request with a wrong secret token refused")
            self.set_status(403)
            return
        if len(self.request.body) > MAX_BODY:
            self.set_status(413)
            return
        update = parse_update(self.request.body, self.application_.bot)
        if update is None:
            # Not an update: 400, so Telegram (or whoever sent it) does not get a 5xx and retry.
            log.warning("webhook: refused a body that is not a Telegram update (400)")
            self.set_status(400)
            return
        inbox = self.application_.bot_data.get("inbox")
        if inbox is None:  # not started yet: Telegram tries again shortly
            self.set_status(503)
            return
        try:
            await inbox.accept(update, self.request.body)
        except Exception as exc:
            log.warning("webhook: could not store an update (503, Telegram resends it): %s", exc)
            self.set_status(503)
            return
        self.set_status(200)


def parse_update(body: bytes, bot: Any) -> Update | None:
    """The update in a webhook body, or None for anything else (never raises).

    The body must be a JSON object with an integer ``update_id``: a list, a string, a number,
    invalid JSON or UTF-8, or too deep a nesting is refused.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        return Update.de_json(data, bot)
    except Exception:  # PTB raises many kinds on malformed fields; the content is not logged
        return None


def make_app(
    application: Application[Any, Any, Any, Any, Any, Any], path: str, secret: str
) -> tornado.web.Application:
    """The tornado routes: health and the webhook."""
    return tornado.web.Application(
        [
            (HEALTH_PATH, HealthHandler, {"bot_app": application}),
            (path, UpdateHandler, {"bot_app": application, "secret": secret}),
        ]
    )


def health_app(application: Application[Any, Any, Any, Any, Any, Any]) -> tornado.web.Application:
    """The routes of polling mode: ``/healthz`` only."""
    return tornado.web.Application([(HEALTH_PATH, HealthHandler, {"bot_app": application})])


def start_health_server(
    application: Application[Any, Any, Any, Any, Any, Any], port: int, address: str = "0.0.0.0"
) -> tornado.httpserver.HTTPServer:
    """Serve ``GET /healthz`` on ``port`` from the running event loop (polling mode)."""
    server = tornado.httpserver.HTTPServer(health_app(application))
    server.listen(port, address=address)
    # Said once, in the start-up line (bot.telegram.app.startup).
    application.bot_data["health_port"] = port
    log.debug("polling mode: health check on port %s%s", port, HEALTH_PATH)
    return server


async def serve(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Run until SIGTERM/SIGINT: start the bot, register the webhook, serve, then clean up."""
    secret = webhook_secret(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await startup(application)
        server: tornado.httpserver.HTTPServer | None = None
        worker = InboxWorker(
            application,
            application.bot_data["store"],
            application.bot_data["claims"],
            lease=settings.inbox_lease_seconds,
        )
        try:
            await application.start()
            application.bot_data["inbox"] = worker
            worker.start()
            server = tornado.httpserver.HTTPServer(
                make_app(application, webhook_path(settings), secret), max_body_size=MAX_BODY
            )
            server.listen(settings.port, address="0.0.0.0")
            await application.bot.set_webhook(
                settings.webhook_url or "",
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                # Telegram's most (its default is 40): each connection waits for a 200
                # that comes once the update is stored, so with fewer, a crisis message in a
                # burst waits longer for Telegram to hand it over at all.
                max_connections=100,
            )
            log.debug("webhook registered; listening on port %s", settings.port)
            await stop.wait()
        finally:
            if server is not None:
                server.stop()
            application.bot_data.pop("inbox", None)
            await worker.stop()
            if application.running:
                await application.stop()
            await shutdown(application)
