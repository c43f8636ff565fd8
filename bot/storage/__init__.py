"""Storage and privacy layer: one async code path for SQLite (default) and PostgreSQL."""

from bot.storage.errors import CorruptRowError, StorageError
from bot.storage.models import (
    COUNTER_NAMES,
    FREQUENCIES,
    ROLES,
    CheckinAnswer,
    CheckinSettings,
    Erasure,
    Stats,
    User,
)
from bot.storage.store import Store
from bot.storage.urls import DatabaseTarget, resolve_database_url

__all__ = [
    "COUNTER_NAMES",
    "FREQUENCIES",
    "ROLES",
    "CheckinAnswer",
    "CheckinSettings",
    "CorruptRowError",
    "DatabaseTarget",
    "Erasure",
    "Stats",
    "StorageError",
    "Store",
    "User",
    "resolve_database_url",
]
