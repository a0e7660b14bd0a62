"""Fixtures for the alert tests: the stand-in Bot API server, a migrated SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from media.store.db import Database

from .standin import StandInBotApi


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot 22 warns (an error under filterwarnings=error) when it builds a
    # RetryAfter with integer seconds; opting in to timedeltas is its documented way forward.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def standin() -> AsyncIterator[StandInBotApi]:
    api = StandInBotApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def sqlite_db(make_database_url: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    db = Database.open(await make_database_url("sqlite"))
    await db.migrate()
    yield db
    await db.close()
