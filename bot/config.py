"""Settings from the environment (12-factor). Nothing here logs or prints the token."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def default_database_url(env: Mapping[str, str]) -> str:
    """SQLite file in the user's data folder: works on a fresh machine with no server."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'recovery-bot' / 'recovery-bot.db'}"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    if not raw.lower().startswith(REDIS_SCHEMES):
        # Never echo the value: it may hold a password.
        raise ConfigError(
            "REDIS_URL must start with redis://, rediss:// (TLS) or unix://, "
            "e.g. redis://:password@host:6379/0"
        )
    return raw


def _logger_name(env: Mapping[str, str]) -> str | None:
    raw = env.get("LOG_DEBUG", "").strip()
    if not raw:
        return None
    if not all(part.isidentifier() for part in raw.split(".")):
        raise ConfigError(
            f"LOG_DEBUG takes one logger name such as telegram.ext.Application, got {raw!r}"
        )
    return raw


@dataclass(frozen=True)
class Settings:
    """Every knob of a deployment. Build it with :meth:`from_env`."""

    telegram_bot_token: str | None = field(default=None, repr=False)
    database_url: str = "sqlite:///recovery-bot.db"
    webhook_url: str | None = None
    port: int = 8080
    webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    default_country: str | None = None
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    log_debug: str | None = None
    telegram_send_timeout: float = 30.0
    checkin_grace_minutes: int = 120
    checkin_send_rate: float = 25.0
    checkin_tick_seconds: float = 30.0
    inbox_lease_seconds: float = 10.0
    checkin_claim_seconds: float = 60.0
    send_budget: float = 25.0
    redis_url: str | None = field(default=None, repr=False)
    """Where several instances share the send budget instead of PostgreSQL (may hold a
    password: never logged)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        admins: set[int] = set()
        for part in env.get("ADMIN_IDS", "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                admins.add(int(part))
            except ValueError:
                raise ConfigError(
                    f"ADMIN_IDS must be Telegram user ids separated by commas, got {part!r}"
                ) from None
        country = env.get("DEFAULT_COUNTRY", "").strip().upper() or None
        return cls(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            database_url=env.get("DATABASE_URL", "").strip() or default_database_url(env),
            webhook_url=env.get("WEBHOOK_URL", "").strip() or None,
            port=_int(env, "PORT", 8080),
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip()
            or DEFAULT_API_BASE_URL,
            default_country=country,
            admin_ids=frozenset(admins),
            log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            log_format=_choice(env, "LOG_FORMAT", ("text", "json"), "text"),
            log_debug=_logger_name(env),
            telegram_send_timeout=_float(env, "TELEGRAM_SEND_TIMEOUT", 30.0),
            checkin_grace_minutes=_int(env, "CHECKIN_GRACE_MINUTES", 120),
            checkin_send_rate=_float(env, "CHECKIN_SEND_RATE", 25.0),
            checkin_tick_seconds=_float(env, "CHECKIN_TICK_SECONDS", 30.0),
            inbox_lease_seconds=_float(env, "INBOX_LEASE_SECONDS", 10.0),
            checkin_claim_seconds=_float(env, "CHECKIN_CLAIM_SECONDS", 60.0),
            send_budget=_float(env, "SEND_BUDGET", 25.0),
            redis_url=_redis_url(env),
        )
