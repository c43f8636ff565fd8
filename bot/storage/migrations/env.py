"""Alembic environment. ``Store.open`` runs it on a live connection (``attributes``).

For authoring a revision by hand, ``alembic -c bot/storage/migrations/alembic.ini upgrade head``
also works; it reads DATABASE_URL like the bot does.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from bot.config import Settings
    from bot.storage.urls import resolve_database_url

    target = resolve_database_url(Settings.from_env().database_url)
    engine = create_async_engine(target.url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
