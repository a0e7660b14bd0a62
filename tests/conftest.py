"""Fixtures shared by the whole suite: fresh databases of either kind, a copy of the base rule set
(`base_rules`), a server on a real port (`serve_app`) and the whole app on both (`serve_room`).

Use them from any test module, no import needed:

    async def test_something(database):            # runs twice: [sqlite] and [postgresql]
        async with database.sessions() as session, session.begin():
            ...                                     # `database` is a migrated media.store.Database

    async def test_server(database_url):           # a fresh, *empty* database's URL, both kinds
        db = Database.open(database_url); await db.migrate(); ...   # or give it to the server as DATABASE_URL

    async def test_sqlite_only(make_database_url):  # pick the kind yourself, as many as you like
        url = await make_database_url("sqlite")

SQLite databases are files under the test's tmp_path. PostgreSQL databases are a new
schema with a unique name in the `test` database on 127.0.0.1:5432 (override with
LIVEROOM_TEST_POSTGRES=postgresql+asyncpg://user@host:port/db); the URL selects it through
`options=-csearch_path=<schema>`, and the schema is dropped when the test ends, so several
developers can run the suite against one server at once. When PostgreSQL cannot be
reached the `postgresql` cases are skipped with the reason (see `pytest -rs`).
"""

from __future__ import annotations

import asyncio
import getpass
import inspect
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import make_url

from media.config import ServerSettings
from media.store.db import Database

KINDS = ("sqlite", "postgresql")

MakeDatabaseUrl = Callable[[str], Awaitable[str]]


def _postgres_candidates() -> list[str]:
    configured = os.environ.get("LIVEROOM_TEST_POSTGRES")
    if configured:
        return [configured]
    return [f"postgresql+asyncpg://{user}@127.0.0.1:5432/test" for user in ("postgres", getpass.getuser())]


async def _admin_connect(url: str) -> asyncpg.Connection:
    parts = make_url(url)
    return await asyncpg.connect(
        host=parts.host or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        database=parts.database,
        timeout=5,
    )


async def _find_postgres() -> tuple[str | None, str]:
    errors = []
    for url in _postgres_candidates():
        try:
            connection = await _admin_connect(url)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            errors.append(f"{make_url(url).render_as_string(hide_password=True)}: {error}")
            continue
        await connection.close()
        return url, ""
    return None, "PostgreSQL not reachable (" + "; ".join(errors) + ")"


@pytest.fixture(scope="session")
def postgres_server() -> tuple[str | None, str]:
    """(base URL, "") of the test PostgreSQL server, or (None, why it cannot be used)."""
    return asyncio.run(_find_postgres())


@pytest.fixture
async def make_database_url(
    tmp_path: Path, postgres_server: tuple[str | None, str]
) -> AsyncIterator[MakeDatabaseUrl]:
    """`await make_database_url("sqlite" | "postgresql")` -> URL of a new, empty database."""
    schemas: list[str] = []
    base_url, why_not = postgres_server

    async def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'liveroom-{uuid.uuid4().hex[:8]}.db'}"
        if kind != "postgresql":
            raise ValueError(f"unknown database kind {kind!r}; expected one of {KINDS}")
        if base_url is None:
            pytest.skip(why_not)
        schema = f"lr_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        connection = await _admin_connect(base_url)
        try:
            await connection.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await connection.close()
        schemas.append(schema)
        return f"{base_url}?options={quote(f'-csearch_path={schema}')}"

    yield make

    if schemas and base_url is not None:
        connection = await _admin_connect(base_url)
        try:
            for schema in schemas:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, make_database_url: MakeDatabaseUrl) -> str:
    """URL of a fresh, empty database; the test runs once per kind."""
    return await make_database_url(request.param)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, open `Database` on a fresh database of each kind; closed afterwards."""
    db = Database.open(database_url)
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()


_OUTSIDE = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_CHAT_ID",
    "TELEGRAM_API_BASE",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LIVEROOM_LLM_MODEL",
    "DATABASE_URL",
    "LIVEROOM_BUS_URL",
)


@pytest.fixture(autouse=True)
def _no_outside_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the real Telegram or an LLM, or a database from the developer's shell."""
    for name in _OUTSIDE:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def local_settings(tmp_path: Path) -> ServerSettings:
    """Settings for a whole `build_app` server in this test's folder: SQLite file and generated secrets."""
    return ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/liveroom.db", data_dir=str(tmp_path / "var")
    )


BASE_RULES = Path(__file__).parent / "rules_bad" / "_base"

BaseRules = Callable[..., Path]


@pytest.fixture
def base_rules(tmp_path: Path) -> BaseRules:
    """Copy the small valid rule set `tests/rules_bad/_base` (room `test-room`, products PAN-01 and TEA-05)
    into `tmp_path / folder` and return that folder. `write={"contingency.yaml": text}` replaces files,
    `append={"room.yaml": text}` adds to their end, `replace={"products.yaml": ("stock: 100", "stock: 2")}`
    substitutes text that must be there:

        rules = base_rules(append={"room.yaml": "\\nfollow_invite:\\n  after: 1s\\n"})
        app = build_app(load_rulebook(rules), local_settings, RunOptions())
    """

    def copy(
        folder: str = "rules",
        *,
        write: Mapping[str, str] | None = None,
        append: Mapping[str, str] | None = None,
        replace: Mapping[str, tuple[str, str]] | None = None,
    ) -> Path:
        rules = tmp_path / folder
        shutil.copytree(BASE_RULES, rules)
        for name, text in (write or {}).items():
            (rules / name).write_text(text, encoding="utf-8")
        for name, text in (append or {}).items():
            path = rules / name
            path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
        for name, (old, new) in (replace or {}).items():
            path = rules / name
            current = path.read_text(encoding="utf-8")
            assert old in current, f"{name} of the base rules has no {old!r}"
            path.write_text(current.replace(old, new), encoding="utf-8")
        return rules

    return copy


ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve_app() -> AsyncIterator[ServeApp]:
    """Serve an app on a real 127.0.0.1 port (WebRTC peers and browsers need one) and return its base URL
    (no trailing slash); every server is closed when the test ends."""
    servers: list[TestServer] = []

    async def serve(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield serve
    for server in reversed(servers):
        await server.close()


@dataclass
class ServedRoom:
    """A whole `liveroom run` app being served: the app, its base URL and the rulebook it was built from."""

    app: web.Application
    base: str
    book: Any  # bot.rules.Rulebook

    @property
    def room(self) -> str:
        return str(self.book.room.id)


ServeRoom = Callable[..., Awaitable[ServedRoom]]


@pytest.fixture
def serve_room(base_rules: BaseRules, serve_app: ServeApp, local_settings: ServerSettings) -> ServeRoom:
    """`build_app` on a copy of the base rules (changed as `base_rules` takes: `append=`, `replace=`,
    `write=`), with `local_settings`, on a real 127.0.0.1 port:

        served = await serve_room(append={"room.yaml": "\\nrecord: true\\n"})
        session = await publish(f"{served.base}/whip/{served.room}", served.app[CREDENTIALS].publish_token, "x")
    """

    async def serve(**changes: Any) -> ServedRoom:
        from bot.app import RunOptions, build_app
        from bot.rules import load_rulebook

        book = load_rulebook(base_rules(**changes))
        app = build_app(book, local_settings, RunOptions())
        return ServedRoom(app, await serve_app(app), book)

    return serve


async def until(check: Callable[[], bool | Awaitable[bool]], within: float = 10.0) -> None:
    """Wait until `check()` (plain or async) is true, polling every 50 ms; fail the test after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"still not true after {within:g} s"
        await asyncio.sleep(0.05)
