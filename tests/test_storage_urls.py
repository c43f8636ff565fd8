"""DATABASE_URL as hosting platforms give it maps to the async drivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import StorageError, resolve_database_url


@pytest.mark.parametrize(
    "raw",
    [
        "postgres://u:p@db.example.com:5432/bot",
        "postgresql://u:p@db.example.com:5432/bot",
        "postgresql+asyncpg://u:p@db.example.com:5432/bot",
        "postgresql+psycopg://u:p@db.example.com:5432/bot",
        "postgresql+psycopg2://u:p@db.example.com:5432/bot",
        "  postgres://u:p@db.example.com:5432/bot\n",
    ],
)
def test_postgres_urls_use_asyncpg(raw: str) -> None:
    target = resolve_database_url(raw)
    assert target.backend == "postgresql" and target.sqlite_path is None
    url = target.url
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "u",
        "p",
        "db.example.com",
        5432,
        "bot",
    )
    assert "p@" not in target.describe()  # the password is never printed


def test_libpq_sslmode_becomes_asyncpg_ssl() -> None:
    url = resolve_database_url("postgres://u:p@h/db?sslmode=require").url
    assert dict(url.query) == {"ssl": "require"}


def test_password_with_special_characters_survives() -> None:
    url = resolve_database_url("postgres://u:p%40ss%2Fw@h/db").url
    assert url.password == "p@ss/w"


@pytest.mark.parametrize("prefix", ["sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"])
def test_absolute_sqlite_path(prefix: str, tmp_path: Path) -> None:
    target = resolve_database_url(f"{prefix}:///{tmp_path}/bot.db")
    assert target.url.drivername == "sqlite+aiosqlite"
    assert target.sqlite_path == tmp_path / "bot.db"


def test_relative_sqlite_path_resolves_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = resolve_database_url("sqlite:///data/bot.db")
    assert target.sqlite_path == tmp_path / "data" / "bot.db"
    assert target.url.database == str(tmp_path / "data" / "bot.db")


def test_home_folder_is_expanded() -> None:
    target = resolve_database_url("sqlite:///~/bot.db")
    assert target.sqlite_path == Path.home() / "bot.db"


@pytest.mark.parametrize("raw", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite(raw: str) -> None:
    target = resolve_database_url(raw)
    assert target.backend == "sqlite" and target.sqlite_path is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("mysql://u:p@h/db", "unsupported scheme"),
        ("not a url", "not a database URL"),
    ],
)
def test_bad_urls_say_what_to_use(raw: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        resolve_database_url(raw)


def test_default_setting_resolves_to_a_file(tmp_path: Path) -> None:
    from bot.config import Settings

    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path)})
    target = resolve_database_url(settings.database_url)
    assert target.sqlite_path == tmp_path / "recovery-bot" / "recovery-bot.db"
