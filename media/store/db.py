"""The database handle: one async engine, its session factory, and the migrations that shape it.

db = Database.open(database_url_from_env())
await db.migrate()
async with db.sessions() as session, session.begin():
    ...
await db.close()
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from media.config import default_database_url

DEFAULT_URL = "sqlite+aiosqlite:///var/liveroom.db"  # with neither DATABASE_URL nor LIVEROOM_DATA_DIR set
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

SchemaState = Literal["empty", "behind", "current", "ahead"]
"""No liveroom tables yet; made by an older version (migrations pending); up to date; made by a newer one."""

# How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_SECONDS = 30.0


# SQLSTATE classes and codes that say "not now" rather than "never": connection trouble, a read-only
# or recovering server, no space or memory, a lock or a serialisation conflict, a cancelled statement.
_TRANSIENT_STATES = ("08", "53", "57P", "25006", "40001", "40P01", "55P03", "57014")


def transient(exc: BaseException) -> bool:
    """Whether a failed write may succeed if tried again (the database was unwritable for a while),
    as opposed to a write that is wrong in itself (a constraint, bad data)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")
        return state.startswith(_TRANSIENT_STATES)
    return isinstance(exc, ConnectionError | TimeoutError)


def database_url_from_env(env: dict[str, str] | None = None) -> str:
    """`DATABASE_URL`, or the SQLite file in the data directory (`media.config.default_database_url`)."""
    return normalize_url(default_database_url(env))


def normalize_url(url: str) -> str:
    """Give plain `postgres://`, `postgresql://` and `sqlite://` URLs their async driver."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _server_settings(url: URL) -> tuple[URL, dict[str, str]]:
    """Move libpq's `options=-c name=value …` query parameter into asyncpg's server settings.

    asyncpg takes no `options`; this keeps URLs such as
    `postgresql://u@host/db?options=-csearch_path%3Dshop` working as they do in psql.
    """
    options = url.query.get("options")
    if options is None:
        return url, {}
    if not isinstance(options, str):
        raise ValueError("DATABASE_URL: give `options` once")
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        if word == "-c":
            word = next(words, "")
        elif word.startswith("-c"):
            word = word[2:]
        elif word.startswith("--"):
            word = word[2:]
        else:
            raise ValueError(f"DATABASE_URL: cannot read options {options!r}; expected -c name=value")
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise ValueError(f"DATABASE_URL: cannot read options {options!r}; expected -c name=value")
        settings[name.replace("-", "_")] = value
    return url.difference_update_query(["options"]), settings


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def private_sqlite_file(path: Path) -> None:
    """The SQLite file readable by its owner only, from its creation on (it holds open lotteries' seeds
    and viewer ids); SQLite gives its -wal and -shm files the same permissions."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for extra in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + extra)
        if side.exists() and side.stat().st_mode & 0o077:
            side.chmod(0o600)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; the busy timeout makes a second
    # writer wait for the lock instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Owns the engine and the `async_sessionmaker`; open once per process, close at exit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, echo: bool = False) -> Database:
        """Create the engine for `url` (default: `DATABASE_URL`). Connects lazily."""
        parsed = make_url(normalize_url(url or database_url_from_env()))
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            path = _sqlite_path(parsed)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                private_sqlite_file(path)
            engine = create_async_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS})
            event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        elif backend == "postgresql":
            parsed, settings = _server_settings(parsed)
            connect_args: dict[str, Any] = {"server_settings": settings} if settings else {}
            engine = create_async_engine(
                parsed,
                echo=echo,
                connect_args=connect_args,
                pool_size=5,
                max_overflow=10,
                pool_timeout=30,
                pool_recycle=1800,
                pool_pre_ping=True,
            )
        else:
            raise ValueError(f"DATABASE_URL: unsupported database {backend!r}; use sqlite or postgresql")
        return cls(engine)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The session factory: `async with db.sessions() as session: …` — one session per task."""
        return self._sessions

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` (Alembic `upgrade`), in the URL's schema on PostgreSQL."""
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await conn.run_sync(_ensure_schema)
            await conn.run_sync(_upgrade, revision)

    async def schema_state(self) -> SchemaState:
        """Whether the database has liveroom's tables, and of which revision — so a reader can say
        "no data yet" or "made by an older version" instead of showing an SQL error."""
        async with self.engine.connect() as conn:
            revision = await conn.run_sync(_current_revision)
        if revision is None:
            return "empty"
        script = ScriptDirectory.from_config(alembic_config())
        if revision == script.get_current_head():
            return "current"
        known = {r.revision for r in script.walk_revisions()}
        return "behind" if revision in known else "ahead"

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` built in code (no alembic.ini); `connection` is used by env.py when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _ensure_schema(connection: Connection) -> None:
    """Create the first schema named in PostgreSQL's search_path when it is missing.

    PostgreSQL silently skips a missing schema in search_path, so without this the
    tables would land in the next one (usually `public`).
    """
    search_path = connection.execute(text("SHOW search_path")).scalar_one()
    first = search_path.split(",")[0].strip()
    if first.startswith('"') and first.endswith('"'):
        first = first[1:-1].replace('""', '"')
    if not first or first == "$user" or first.startswith("pg_"):
        return
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": first}
    ).first()
    if exists is None:
        quoted = connection.dialect.identifier_preparer.quote_identifier(first)
        connection.execute(text(f"CREATE SCHEMA {quoted}"))
