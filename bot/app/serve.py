"""`liveroom run`: one process, one asyncio loop — the room server with the bot plugged in."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app.build import build_app
from bot.app.keys import CREDENTIALS
from bot.app.options import RunOptions
from bot.rules import Rulebook
from media.app import ROOMS
from media.config import ServerSettings

log = logging.getLogger(__name__)


def print_banner(app: web.Application, settings: ServerSettings) -> None:
    credentials = app[CREDENTIALS]
    base = (
        f"http://{settings.host if settings.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{settings.port}"
    )
    for room_id in app[ROOMS].ids():
        print(f"观众页 viewer: {base}/room/{room_id}")
        print(f"主播页 host:   {base}/host/{room_id}   (推流令牌 publish token: {credentials.publish_token})")
        print(f"中控台 studio: {base}/studio/{room_id} (团队密码 team password: {credentials.team_password})")
    print(f"健康检查 health: {base}/healthz", flush=True)


async def serve(rulebook: Rulebook, settings: ServerSettings, options: RunOptions) -> None:
    app = build_app(rulebook, settings, options)
    runner = web.AppRunner(app, handle_signals=False)
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
