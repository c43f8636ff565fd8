"""``recovery-bot doctor``: is this deploy ready? Each check says what is wrong and how to fix it.

Checks: the settings parse; the token's format, and the token against the Bot API when it can
be reached (``getMe`` and ``getWebhookInfo`` only: they read, they never send anything to
anyone); the database is reachable and migrated (read only: nothing is created or changed);
Redis answers, when ``REDIS_URL`` is set;
the content loads and lints; the webhook URL is https on a port Telegram posts to; the webhook
secret is set and well formed; the clock agrees with Telegram's and time-zone data is there.

Exit code 0 when nothing failed (warnings allowed), 1 when something must be fixed first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ipaddress
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from bot.config import ConfigError, Settings

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = (443, 80, 88, 8443)
HTTP_TIMEOUT = 10.0
CLOCK_WARN = dt.timedelta(seconds=60)
CLOCK_FAIL = dt.timedelta(minutes=10)
CLOCK_FLOOR = dt.date(2026, 1, 1)
"""No clock before this date is right: this version did not exist yet."""
PLATFORM_EPHEMERAL_DISK = {"DYNO": "Heroku", "RENDER": "Render"}
"""Environment variables that name a platform whose file system is wiped on every deploy."""

Now = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Check:
    """One line of the report."""

    name: str
    status: str
    message: str
    fix: str = ""


@dataclass
class Doctor:
    """Runs the checks on one environment; ``now`` and the HTTP timeout are injectable for tests."""

    env: Mapping[str, str]
    now: Now = _utcnow
    http_timeout: float = HTTP_TIMEOUT
    lint: bool = True
    telegram_date: dt.datetime | None = None
    """The ``Date`` of Telegram's answer to getMe, when it answered (the clock's reference)."""
    newest_review: dt.date | None = None

    def run(self) -> Iterator[Check]:
        try:
            settings = Settings.from_env(self.env)
        except ConfigError as exc:
            yield Check("config", FAIL, str(exc), "fix that variable (see .env.example)")
            return
        yield Check("config", OK, "settings read from the environment")
        yield from self.token(settings)
        yield from self.database(settings)
        yield from self.redis(settings)
        yield from self.content(settings)
        yield from self.webhook(settings)
        yield from self.secret(settings)
        yield from self.clock()

    # ------------------------------------------------------------------ Telegram
    def token(self, settings: Settings) -> Iterator[Check]:
        token = settings.telegram_bot_token
        if not token:
            yield Check(
                "token",
                FAIL,
                "TELEGRAM_BOT_TOKEN is not set",
                "in Telegram, send /newbot to @BotFather and set the token it gives you",
            )
            return
        from bot.telegram.runner import TOKEN_RE

        if not TOKEN_RE.match(token):
            yield Check(
                "token",
                FAIL,
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters, e.g. 123456789:AAE...)",
                "copy it again from @BotFather (/mybots -> your bot -> API Token); check for "
                "stray quotes or spaces",
            )
            return
        yield Check("token", OK, "TELEGRAM_BOT_TOKEN looks like a bot token")
        yield from self.telegram(settings, token)

    def _api(self, settings: Settings, token: str, method: str) -> tuple[int, Any, str | None]:
        """GET one read-only Bot API method: (HTTP status, decoded body, Date header)."""
        import httpx

        url = f"{settings.telegram_api_base_url}{token}/{method}"
        with httpx.Client(timeout=self.http_timeout) as client:
            response = client.get(url)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, response.headers.get("date")

    def telegram(self, settings: Settings, token: str) -> Iterator[Check]:
        import httpx

        host = urlsplit(settings.telegram_api_base_url).netloc or settings.telegram_api_base_url
        try:
            status, body, date = self._api(settings, token, "getMe")
        except httpx.HTTPError as exc:
            yield Check(
                "telegram",
                WARN,
                f"could not reach the Bot API at {host} ({type(exc).__name__}); the token was "
                "not checked",
                "check the network (and TELEGRAM_API_BASE_URL), then run doctor again",
            )
            return
        if date:
            parsed = email.utils.parsedate_to_datetime(date)
            self.telegram_date = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        if status in (401, 404):
            yield Check(
                "telegram",
                FAIL,
                "Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped)",
                "get the current token from @BotFather (/mybots -> your bot -> API Token)",
            )
            return
        if status != 200 or not isinstance(body, dict) or not body.get("ok"):
            detail = body.get("description") if isinstance(body, dict) else None
            yield Check(
                "telegram",
                WARN,
                f"the Bot API at {host} answered getMe with HTTP {status}"
                + (f" ({detail})" if detail else ""),
                "try again later; if it persists, check TELEGRAM_API_BASE_URL",
            )
            return
        me = body.get("result") or {}
        yield Check(
            "telegram",
            OK,
            f"Telegram accepts the token: @{me.get('username', '?')} (id {me.get('id', '?')})",
        )
        if settings.webhook_url:
            yield from self.registered_webhook(settings, token)

    def registered_webhook(self, settings: Settings, token: str) -> Iterator[Check]:
        import httpx

        try:
            status, body, _ = self._api(settings, token, "getWebhookInfo")
        except httpx.HTTPError:
            return
        if status != 200 or not isinstance(body, dict):
            return
        info = body.get("result") or {}
        registered = info.get("url") or ""
        if registered != settings.webhook_url:
            shown = registered or "nothing (no webhook set)"
            yield Check(
                "telegram",
                OK,
                f"Telegram posts updates to {shown}; `recovery-bot run` registers "
                "WEBHOOK_URL when it starts",
            )
        if info.get("last_error_message"):
            yield Check(
                "telegram",
                WARN,
                f"Telegram's last delivery to the webhook failed: {info['last_error_message']}",
                "check that WEBHOOK_URL reaches this bot (TLS certificate, proxy, PORT)",
            )

    # ------------------------------------------------------------------ database
    def database(self, settings: Settings) -> Iterator[Check]:
        from bot.storage.errors import StorageError
        from bot.storage.urls import resolve_database_url

        try:
            target = resolve_database_url(settings.database_url)
        except StorageError as exc:
            yield Check("database", FAIL, str(exc), "fix DATABASE_URL")
            return
        where = target.describe()
        if target.backend == "sqlite":
            for variable, platform in PLATFORM_EPHEMERAL_DISK.items():
                if self.env.get(variable):
                    yield Check(
                        "database",
                        WARN,
                        f"{where} on {platform}, whose disk is wiped on every deploy and "
                        "restart: check-ins and settings would be lost",
                        f"attach {platform}'s PostgreSQL and set DATABASE_URL (docs/DEPLOY.md)",
                    )
            path = target.sqlite_path
            if path is not None and not path.exists():
                folder = _existing_parent(path.parent)
                if not os.access(folder, os.W_OK | os.X_OK):
                    yield Check(
                        "database",
                        FAIL,
                        f"{where} does not exist and {folder} is not writable",
                        "point DATABASE_URL at a writable place (a persistent disk)",
                    )
                else:
                    yield Check(
                        "database",
                        WARN,
                        f"{where} does not exist yet; the bot creates it at its first start",
                        "nothing to do (or create it now with `recovery-bot migrate`)",
                    )
                return
        try:
            revision, missing_db = asyncio.run(_read_revision(target, self.http_timeout))
        except Exception as exc:
            from bot.storage.database import _describe_driver_error

            yield Check(
                "database",
                FAIL,
                f"cannot reach {where}: {_describe_driver_error(exc)}",
                "check DATABASE_URL (host, port, user, password, database) and that the "
                "server runs and accepts connections from here",
            )
            return
        if missing_db:
            yield Check(
                "database",
                WARN,
                f"{where}: the server answers but the database does not exist yet",
                "the bot creates it at its first start if the user may; or create it now "
                "with `recovery-bot migrate`",
            )
            return
        yield from _revision_check(where, revision)

    # ------------------------------------------------------------------ redis
    def redis(self, settings: Settings) -> Iterator[Check]:
        """Only with ``REDIS_URL``: the server answers. Never shows the URL (it may hold a
        password): only its host and port."""
        if not settings.redis_url:
            return
        if settings.database_url.startswith("sqlite"):
            yield Check(
                "redis",
                WARN,
                "REDIS_URL is set but the database is SQLite (one instance): the send "
                "budget stays in the process and Redis is not used",
                "unset REDIS_URL, or use PostgreSQL for several instances (docs/DEPLOY.md)",
            )
            return
        parts = urlsplit(settings.redis_url)
        where = f"Redis at {parts.hostname or parts.path or 'localhost'}:{parts.port or 6379}"
        if parts.scheme == "unix":
            where = f"Redis at {parts.path}"
        try:
            asyncio.run(_ping_redis(settings.redis_url, self.http_timeout))
        except Exception as exc:
            yield Check(
                "redis",
                FAIL,
                f"cannot reach {where}: {type(exc).__name__}",
                "check REDIS_URL (host, port, password, database) and that the server runs "
                "and accepts connections from here; until it answers, each instance paces "
                "its own sends",
            )
            return
        yield Check("redis", OK, f"{where} answers: the send budget is shared there")

    # ------------------------------------------------------------------ content
    def content(self, settings: Settings) -> Iterator[Check]:
        from bot.paths import describe_root, missing_folders, project_root
        from bot.yamlfile import ContentError

        root = project_root(self.env)
        missing = missing_folders(root)
        if missing:
            yield Check(
                "content",
                FAIL,
                f"{root} has no {' or '.join(f'{m}/' for m in missing)} folder",
                "point RECOVERY_BOT_HOME (or --content) at a folder holding intents/ and "
                "content/ (`recovery-bot copy-content DIR` makes one), or unset it to use the "
                "packaged copy",
            )
            return
        try:
            from bot.understanding.engine import Engine

            engine = Engine.load(settings.default_country, root=root)
        except ContentError as exc:
            yield Check(
                "content",
                FAIL,
                f"the content does not load: {exc}",
                "fix that file (docs/CONTENT.md), then run `recovery-bot lint`",
            )
            return
        except (OSError, ValueError) as exc:
            yield Check(
                "content",
                FAIL,
                f"the models or content do not load: {type(exc).__name__}: {exc}",
                "reinstall recovery-bot; the wheel carries its model files",
            )
            return
        self.newest_review = max(
            (
                i.answer.review.on
                for i in engine.catalog.intents.values()
                if i.answer.review is not None
            ),
            default=None,
        )
        yield Check(
            "content",
            OK,
            f"{len(engine.catalog.intents)} intents load from the {describe_root(root, self.env)}",
        )
        if engine.classifier is None:
            yield Check(
                "content",
                WARN,
                "the intent classifier was fitted on another version of the catalog, so the "
                "bot matches without it (less accurately)",
                "refit it with tools/train_classifiers.py after editing examples",
            )
        country = settings.default_country
        if country and engine.resources.resolve(country) is None:
            known = ", ".join(code for code, _ in engine.resources.countries())
            yield Check(
                "content",
                FAIL,
                f"DEFAULT_COUNTRY={country} has no help lines in the content",
                f"use one of {known}, or leave it unset for the worldwide lines",
            )
        if self.lint:
            yield from self._lint(root)
        else:
            yield Check("lint", SKIP, "content rules not checked (--no-lint)")

    def _lint(self, root: Path) -> Iterator[Check]:
        from bot.lint import run_rules
        from bot.lint.readability import ReadabilityUnavailable

        try:
            report = run_rules(root)
        except ReadabilityUnavailable as exc:
            yield Check("lint", FAIL, str(exc), "reinstall recovery-bot with its dependencies")
            return
        if report.errors:
            first = report.errors[0]
            yield Check(
                "lint",
                FAIL,
                f"{len(report.errors)} content error(s), e.g. {first.where(report.root)}: "
                f"{first.message}",
                "run `recovery-bot lint` for the list and how to fix each",
            )
            return
        yield Check(
            "lint",
            OK,
            f"no content errors ({len(report.warnings)} warning(s): `recovery-bot lint`)",
        )

    # ------------------------------------------------------------------ webhook
    def webhook(self, settings: Settings) -> Iterator[Check]:
        if not settings.webhook_url:
            port = self.env.get("PORT", "").strip()
            yield Check(
                "webhook",
                OK,
                "polling mode (no WEBHOOK_URL)"
                + (f"; /healthz is served on port {port}" if port else ""),
            )
            return
        parts = urlsplit(settings.webhook_url)
        problems: list[str] = []
        if parts.scheme != "https":
            problems.append("it must start with https:// (Telegram posts only over TLS)")
        host = parts.hostname or ""
        if not host:
            problems.append("it names no host")
        elif _private_host(host):
            problems.append(f"{host} cannot be reached from the internet")
        try:
            url_port: int | None = parts.port or 443
        except ValueError:
            url_port = None
        if url_port not in WEBHOOK_PORTS:
            problems.append(
                f"Telegram posts only to ports 443, 80, 88 or 8443, not {url_port or 'that'}"
            )
        if problems:
            yield Check(
                "webhook",
                FAIL,
                f"WEBHOOK_URL {settings.webhook_url}: " + "; ".join(problems),
                "use the public https address of this bot, e.g. https://bot.example.org/tg; "
                "the platform or a reverse proxy terminates TLS and forwards to PORT",
            )
            return
        yield Check(
            "webhook",
            OK,
            f"webhook mode: Telegram will post to {settings.webhook_url}; this process "
            f"listens on port {settings.port}",
        )

    def secret(self, settings: Settings) -> Iterator[Check]:
        secret = settings.webhook_secret
        if not settings.webhook_url:
            yield Check("secret", SKIP, "WEBHOOK_SECRET is not used in polling mode")
            return
        if not secret:
            yield Check(
                "secret",
                WARN,
                "WEBHOOK_SECRET is not set; the bot derives one from the token",
                "set WEBHOOK_SECRET to a long random value, the same on every instance: "
                'python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
            return
        if not SECRET_RE.match(secret):
            yield Check(
                "secret",
                FAIL,
                "WEBHOOK_SECRET may hold only letters, digits, _ and - (1 to 256 of them); "
                "Telegram refuses the webhook otherwise",
                'make a new one: python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
            return
        if len(secret) < 16:
            yield Check(
                "secret",
                WARN,
                f"WEBHOOK_SECRET is short ({len(secret)} characters); anyone who guesses it "
                "can post fake updates",
                'use 32 or more: python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
            return
        yield Check("secret", OK, "WEBHOOK_SECRET is set")

    # ------------------------------------------------------------------ clock
    def clock(self) -> Iterator[Check]:
        now = self.now()
        floor = max(CLOCK_FLOOR, self.newest_review or CLOCK_FLOOR)
        if now.date() < floor:
            yield Check(
                "clock",
                FAIL,
                f"the clock says {now:%Y-%m-%d %H:%M} UTC, before {floor} (this content's "
                "newest review): it is wrong",
                "turn on time synchronisation (NTP) on this machine",
            )
            return
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo("America/New_York")
        except Exception:
            yield Check(
                "clock",
                FAIL,
                "no time-zone data: check-ins cannot be scheduled in people's local time",
                "reinstall recovery-bot (it depends on tzdata)",
            )
            return
        if self.telegram_date is None:
            yield Check(
                "clock",
                OK,
                f"the clock says {now:%Y-%m-%d %H:%M} UTC (not compared: Telegram not reached)",
            )
            return
        skew = now - self.telegram_date
        size = abs(skew)
        where = "ahead of" if skew > dt.timedelta(0) else "behind"
        if size > CLOCK_FAIL:
            status = FAIL
        elif size > CLOCK_WARN:
            status = WARN
        else:
            yield Check("clock", OK, "the clock agrees with Telegram's (within a minute)")
            return
        yield Check(
            "clock",
            status,
            f"the clock is {_duration(size)} {where} Telegram's: check-ins go out at the "
            "wrong time",
            "turn on time synchronisation (NTP) on this machine",
        )


async def _read_revision(target: Any, timeout: float) -> tuple[str | None, bool]:
    """(current Alembic revision or None, whether the PostgreSQL database is missing)."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.storage import migrate
    from bot.storage.database import _is_missing_database

    connect_args: dict[str, Any] = {"timeout": timeout}
    engine = create_async_engine(target.url, connect_args=connect_args)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(migrate.current_revision), False
    except DBAPIError as exc:
        if target.backend == "postgresql" and _is_missing_database(exc):
            return None, True
        raise
    finally:
        await engine.dispose()


def _revision_check(where: str, revision: str | None) -> Iterator[Check]:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    known = {s.revision for s in script.walk_revisions()}
    if revision == head:
        yield Check("database", OK, f"{where} is reachable and migrated (schema {head})")
    elif revision is None:
        yield Check(
            "database",
            WARN,
            f"{where} is reachable but empty (no tables yet)",
            "the bot creates them at its first start; or now with `recovery-bot migrate`",
        )
    elif revision in known:
        yield Check(
            "database",
            WARN,
            f"{where} is at schema {revision}; this version migrates it to {head} at start",
            "nothing to do (or migrate now with `recovery-bot migrate`); back it up first",
        )
    else:
        yield Check(
            "database",
            FAIL,
            f"{where} is at schema {revision}, newer than this recovery-bot knows ({head})",
            "upgrade recovery-bot, or point DATABASE_URL at another database",
        )


async def _ping_redis(url: str, timeout: float) -> None:
    from bot.storage.redis_budget import RedisSendBudgets

    budgets = RedisSendBudgets.open(url, timeout=timeout)
    try:
        await budgets.client.ping()
    finally:
        await budgets.close()


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _private_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def format_check(check: Check) -> str:
    line = f"  {check.status:<5} {check.name:<9} {check.message}"
    if check.fix and check.status in (WARN, FAIL):
        line += f"\n  {'':<5} {'':<9} fix: {check.fix}"
    return line


def run_doctor(
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    *,
    now: Now | None = None,
    lint: bool = True,
) -> int:
    """Print every check as it finishes; 1 when one failed, else 0. Sends nothing to anyone."""
    from bot import __version__

    out = out or sys.stdout
    doctor = Doctor(os.environ if env is None else env, lint=lint)
    if now is not None:
        doctor.now = now
    out.write(f"recovery-bot {__version__} doctor\n")
    out.flush()
    checks: list[Check] = []
    for check in doctor.run():
        checks.append(check)
        out.write(format_check(check) + "\n")
        out.flush()
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    verdict = "not ready" if failed else "ready"
    out.write(f"doctor: {verdict}: {failed} problem(s), {warned} warning(s)\n")
    return 1 if failed else 0
