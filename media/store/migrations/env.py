"""Alembic environment for liveroom's database.

`Database.migrate()` hands Alembic an open connection (config.attributes["connection"]).
Run on its own (e.g. `alembic -x url=… revision --autogenerate` with a config built by
`media.store.db.alembic_config()`), it opens an async engine for the `url` option,
`-x url=…`, or `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from media.store.db import Database, database_url_from_env
from media.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or database_url_from_env()
    )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_with(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    database = Database.open(_url())
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(run_with)
            await connection.commit()
    finally:
        await database.close()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_with(shared)
else:
    asyncio.run(run_standalone())
