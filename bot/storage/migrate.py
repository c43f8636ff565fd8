"""Run the Alembic migrations shipped in this package, on an open connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.errors import StorageError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to ``revision``; the caller holds the transaction and the lock."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(connection)
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise StorageError(
            f"the database schema is at version {current}, newer than this recovery-bot "
            f"knows (up to {script.get_current_head()}); upgrade recovery-bot, "
            "or point DATABASE_URL at another database"
        )
    command.upgrade(alembic_config(connection), revision)
