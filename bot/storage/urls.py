"""Turn a DATABASE_URL as hosting platforms give it into an async SQLAlchemy URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.storage.errors import StorageError

_POSTGRES_SCHEMES = {
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+pg8000",
    "postgres+asyncpg",
    "postgres+psycopg",
    "postgres+psycopg2",
}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}

# libpq spells TLS as ``sslmode``; asyncpg takes the same values as ``ssl``.
_LIBPQ_ONLY_PARAMS = {"sslmode": "ssl"}


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the data lives: the async URL, the backend, and the SQLite file if any."""

    url: URL
    backend: str  # "sqlite" or "postgresql"
    sqlite_path: Path | None  # None for PostgreSQL and for an in-memory SQLite

    def describe(self) -> str:
        """A printable name for messages: never the password."""
        if self.sqlite_path is not None:
            return f"SQLite file {self.sqlite_path}"
        if self.backend == "sqlite":
            return "in-memory SQLite"
        return f"PostgreSQL {self.url.render_as_string(hide_password=True)}"


def resolve_database_url(raw: str) -> DatabaseTarget:
    """Map ``postgres://``, ``postgresql[+driver]://`` and ``sqlite:///path`` to async drivers."""
    text = raw.strip()
    if not text:
        raise StorageError("DATABASE_URL is empty; leave it unset to use the default SQLite file")
    try:
        url = make_url(text)
    except ArgumentError:
        raise StorageError(
            "DATABASE_URL is not a database URL; expected postgresql://user:pass@host/db "
            "or sqlite:///path/to/file.db"
        ) from None
    scheme = url.drivername.lower()
    if scheme in _POSTGRES_SCHEMES:
        query = dict(url.query)
        for libpq, asyncpg in _LIBPQ_ONLY_PARAMS.items():
            if libpq in query:
                query[asyncpg] = query.pop(libpq)
        url = url.set(drivername="postgresql+asyncpg", query=query)
        return DatabaseTarget(url=url, backend="postgresql", sqlite_path=None)
    if scheme in _SQLITE_SCHEMES:
        url = url.set(drivername="sqlite+aiosqlite")
        db = url.database
        if not db or db == ":memory:":
            return DatabaseTarget(url=url, backend="sqlite", sqlite_path=None)
        path = Path(db).expanduser()
        # Resolve relative paths once, so the folder we create is the file we open.
        path = path if path.is_absolute() else Path.cwd() / path
        return DatabaseTarget(url=url.set(database=str(path)), backend="sqlite", sqlite_path=path)
    raise StorageError(
        f"DATABASE_URL uses an unsupported scheme {url.drivername!r}; "
        "use postgresql://... (or postgres://...) or sqlite:///path/to/file.db"
    )
