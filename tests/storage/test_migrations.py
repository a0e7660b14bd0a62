"""Migrations build the schema the models describe, on SQLite and PostgreSQL, in the URL's schema."""

from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, make_url, text

from media.store.db import Database, alembic_config, database_url_from_env, normalize_url
from media.store.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrate_creates_every_table_and_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as conn:
        names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert TABLES <= names
        assert "alembic_version" in names
        assert await conn.run_sync(_differences) == []


async def test_migrate_twice_is_harmless(database: Database) -> None:
    await database.migrate()
    async with database.engine.connect() as conn:
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    assert versions == ["0003"]


async def test_downgrade_to_base_and_upgrade_again(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
        left = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert left <= {"alembic_version"}
    await database.migrate()
    async with database.engine.connect() as conn:
        assert TABLES <= set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.mark.postgres
async def test_postgres_tables_land_in_the_urls_schema(make_database_url) -> None:
    url = await make_database_url("postgresql")
    schema = make_url(url).query["options"].removeprefix("-csearch_path=")
    # The schema is gone: migrate must create it rather than fall back to `public`.
    admin = make_url(url)
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, database=admin.database
    )
    try:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await connection.close()

    async with Database.open(url) as db:
        await db.migrate()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_schema()"))).scalar_one() == schema
            in_schema = set(
                (
                    await conn.execute(
                        text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                        {"s": schema},
                    )
                ).scalars()
            )
    assert TABLES | {"alembic_version"} <= in_schema


async def test_sqlite_file_folder_is_created_and_wal_is_on(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deeper" / "liveroom.db"
    async with Database.open(f"sqlite+aiosqlite:///{path}") as db:
        await db.migrate()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() >= 1000
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    assert path.is_file()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/shop", "postgresql+asyncpg://u:p@db:5432/shop"),
        ("postgresql://u@db/shop", "postgresql+asyncpg://u@db/shop"),
        ("postgresql+asyncpg://u@db/shop", "postgresql+asyncpg://u@db/shop"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_plain_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_database_url_from_env() -> None:
    assert database_url_from_env({}) == "sqlite+aiosqlite:///var/liveroom.db"
    assert database_url_from_env({"DATABASE_URL": "postgres://u@h/d"}) == "postgresql+asyncpg://u@h/d"


def test_unsupported_database_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="mysql"):
        Database.open("mysql+aiomysql://u@h/d")


def test_unreadable_options_are_refused() -> None:
    with pytest.raises(ValueError, match="-c name=value"):
        Database.open("postgresql://u@h/d?options=search_path")
