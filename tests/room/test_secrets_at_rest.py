"""Issue 19 row 19: no secret in stdout or the access log (the banner says where to find them), and the
data files are the owner's alone from their creation: the secrets, the SQLite file."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import RunOptions, build_app
from bot.app.credentials import private_file
from bot.app.keys import CREDENTIALS
from bot.app.serve import app_runner, print_banner
from bot.rules import load_rulebook
from media.config import ServerSettings
from media.store.db import Database
from media.web.accesslog import masked


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    old = os.umask(0o022)  # what a shell usually has: files 0644 unless made otherwise
    yield
    os.umask(old)


async def test_the_banner_says_where_the_secrets_are_not_what_they_are(
    base_rules: object, local_settings: ServerSettings, capsys: pytest.CaptureFixture[str], open_umask: object
) -> None:
    app = build_app(load_rulebook(base_rules()), local_settings, RunOptions())  # type: ignore[operator]
    credentials = app[CREDENTIALS]
    print_banner(app, local_settings)
    out = capsys.readouterr().out
    assert credentials.publish_token not in out and credentials.team_password not in out
    assert str(Path(local_settings.data_dir) / "publish-token") in out
    assert str(Path(local_settings.data_dir) / "team-password") in out
    for name in ("secret", "signing-key", "publish-token", "team-password"):
        assert mode(Path(local_settings.data_dir) / name) == 0o600, name


def test_a_private_file_is_private_before_its_first_byte(tmp_path: Path, open_umask: object) -> None:
    fd = private_file(tmp_path / "secret")
    try:
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
    finally:
        os.close(fd)
    loose = tmp_path / "loose"
    loose.write_text("old")
    loose.chmod(0o644)
    os.close(private_file(loose))
    assert mode(loose) == 0o600


async def test_the_sqlite_file_is_private_from_its_creation(tmp_path: Path, open_umask: object) -> None:
    path = tmp_path / "var" / "liveroom.db"
    db = Database.open(f"sqlite+aiosqlite:///{path}")
    try:
        assert mode(path) == 0o600  # before SQLite has written anything into it
        await db.migrate()
        assert mode(path) == 0o600
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or mode(wal) == 0o600
    finally:
        await db.close()


def test_masked_urls() -> None:
    assert masked("/ws/demo?token=v1.abc&nick=王&csrf=x") == "/ws/demo?token=***&nick=%E7%8E%8B&csrf=***"
    assert masked("/room/demo") == "/room/demo"
    assert masked("https://shop.example/?invite=guest-1#x") == "https://shop.example/?invite=***#x"


async def test_the_access_log_masks_tokens(caplog: pytest.LogCaptureFixture) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/ws/demo", hello)
    runner = app_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{port}/ws/demo?token=v0123.secret-sig&csrf=csrf-secret&nick=ann"
                referer = {"Referer": f"http://127.0.0.1:{port}/host/demo?token=publish-secret"}
                async with session.get(url, headers=referer) as resp:
                    assert resp.status == 200
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines and "token=***" in lines[0] and "nick=ann" in lines[0]
    for secret in ("secret-sig", "csrf-secret", "publish-secret"):
        assert secret not in "\n".join(lines)
