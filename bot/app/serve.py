"""`liveroom run`: one process, one asyncio loop — the room server with the bot plugged in."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiohttp import web

from bot.app.build import build_app
from bot.app.credentials import SECRET_FILES, Credentials
from bot.app.keys import CREDENTIALS, HOLDER
from bot.app.options import RunOptions
from bot.rules import Rulebook
from media.app import ROOMS
from media.config import ServerSettings
from media.web.accesslog import MaskingAccessLogger

log = logging.getLogger(__name__)


def where(credentials: Credentials, name: str, env: str, *, generated: bool, elsewhere: str = "") -> str:
    """Where a secret can be read — never the secret itself (stdout goes to journals and CI logs)."""
    if generated:
        return str(credentials.folder / SECRET_FILES[name])
    return elsewhere or f"${env}"


def print_banner(app: web.Application, settings: ServerSettings) -> None:
    credentials: Credentials = app[CREDENTIALS]
    base = (
        f"http://{settings.host if settings.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{settings.port}"
    )
    token = where(
        credentials, "publish_token", "LIVEROOM_PUBLISH_TOKEN", generated=credentials.publish_token_generated
    )
    password = where(
        credentials,
        "team_password",
        "LIVEROOM_TEAM_PASSWORD",
        generated=credentials.team_password_generated,
        elsewhere=(app[HOLDER].current.room.team.password and "room.yaml team.password") or "",
    )
    for room_id in app[ROOMS].ids():
        print(f"观众页 viewer: {base}/room/{room_id}")
        print(f"主播页 host:   {base}/host/{room_id}   (推流令牌见 publish token in: {token})")
        print(f"中控台 studio: {base}/studio/{room_id} (团队密码见 team password in: {password})")
    print(f"健康检查 health: {base}/healthz", flush=True)


def app_runner(app: web.Application) -> web.AppRunner:
    """The runner `liveroom run` and the demo serve with: an access log that masks tokens in URLs."""
    return web.AppRunner(app, handle_signals=False, access_log_class=MaskingAccessLogger)


async def serve(rulebook: Rulebook, settings: ServerSettings, options: RunOptions) -> None:
    os.umask(0o077)  # what the room writes (database, secrets, recordings, HLS) is the owner's alone
    app = build_app(rulebook, settings, options)
    runner = app_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    print_banner(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("正在停止 stopping…")
        await runner.cleanup()
