"""Which database the review reads, and what it says when there is nothing to read.

With no `DATABASE_URL` the commands read the data directory's SQLite file — the one the server and
`liveroom demo` write (`$LIVEROOM_DATA_DIR/liveroom.db`, `var/liveroom.db` by default). A file that is not
there, a database without liveroom's tables, or one made by an older version is named in plain words,
never as an SQL error, and reading never creates a file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from media.config import ServerSettings, default_database_url
from media.store.db import Database, database_url_from_env

from .handbuilt import END, EVENTS, SPEED, START
from .seed import seed_run
from .test_report_cli import write_rules


def test_the_server_and_the_commands_share_one_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_database_url({}) == "sqlite+aiosqlite:///var/liveroom.db"
    assert default_database_url({"LIVEROOM_DATA_DIR": "/srv/lr"}) == "sqlite+aiosqlite:////srv/lr/liveroom.db"
    assert default_database_url({"DATABASE_URL": "postgresql+asyncpg://u@h/d", "LIVEROOM_DATA_DIR": "x"}) == (
        "postgresql+asyncpg://u@h/d"
    )
    monkeypatch.setenv("LIVEROOM_DATA_DIR", "/srv/lr")
    assert ServerSettings.from_env().database_url == database_url_from_env() == default_database_url()


def test_the_report_reads_the_data_directory_with_no_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var"

    async def seed() -> None:
        async with Database.open(f"sqlite+aiosqlite:///{data}/liveroom.db") as db:
            await db.migrate()
            await seed_run(db, "hand", EVENTS, START, END, speed=SPEED)

    asyncio.run(seed())
    rules = write_rules(tmp_path / "rules")
    monkeypatch.chdir(tmp_path)  # var/ relative to the working directory, as `make demo` leaves it
    assert main(["report", "hand", "--rules", str(rules), "--json"]) == 0
    assert '"run_id": 1' in capsys.readouterr().out


def test_no_file_empty_and_older_databases_are_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write_rules(tmp_path / "rules")
    missing = tmp_path / "nothing-here.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    assert main(["report", "hand", "--rules", str(rules)]) == 1
    err = capsys.readouterr().err
    assert f"还没有直播数据：{missing} 不存在" in err and "make demo" in err
    assert not missing.exists(), "reading must not create the file"

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{empty}")
    for command in (["report", "hand"], ["compare", "hand", "hand"], ["compare", "hand"]):
        assert main([*command, "--rules", str(rules)]) == 1
        err = capsys.readouterr().err
        assert "里还没有直播数据（没有 liveroom 的表）" in err, err
        assert "sqlite3" not in err and "no such table" not in err

    old = tmp_path / "old.db"

    async def migrate_to_first() -> None:
        async with Database.open(f"sqlite+aiosqlite:///{old}") as db:
            await db.migrate("0001")
            assert await db.schema_state() == "behind"

    asyncio.run(migrate_to_first())
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{old}")
    assert main(["report", "hand", "--rules", str(rules), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "was made by an older liveroom" in err and "liveroom run" in err
