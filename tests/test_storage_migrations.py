"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.storage import Store
from bot.storage.migrate import alembic_config, current_revision, head_revision
from bot.storage.schema import metadata


def _diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_migrated_database_matches_schema_py(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        assert await conn.run_sync(current_revision) == head_revision()


async def test_downgrade_to_nothing_and_back(store: Store) -> None:
    def down_up(conn: Connection) -> list[Any]:
        command.downgrade(alembic_config(conn), "base")
        assert current_revision(conn) is None
        command.upgrade(alembic_config(conn), "head")
        return _diff(conn)

    async with store.engine.begin() as conn:
        assert await conn.run_sync(down_up) == []
