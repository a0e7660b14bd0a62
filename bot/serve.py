"""`liveroom run`: one process, one asyncio loop — the room server with the bot plugged in."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.alerts.commands import Pausable
from bot.alerts.service import AlertOptions, setup_alerts
from bot.contingency.edge import setup_contingency
from bot.credentials import Credentials, load_credentials
from bot.faq.room import setup_faq
from bot.follow_invite import setup_follow_invites
from bot.reload import RulebookHolder, watch_rules
from bot.roomsettings import room_settings
from bot.rules import Rulebook
from bot.show.web import SHOW_RUNNER, setup_show
from media.app import HEALTH_PROVIDERS, ROOMS, SETTINGS, create_app
from media.config import ServerSettings
from media.hub import setup_room
from media.hub.auth import TeamAuth
from media.restream import Restreamer
from media.rooms import RoomDirectory
from media.server import MEDIA_SERVER, setup_media
from media.store.db import Database

log = logging.getLogger(__name__)

HOLDER = web.AppKey("rulebook", RulebookHolder)
CREDENTIALS = web.AppKey("credentials", Credentials)


@dataclass(frozen=True)
class RunOptions:
    start_show: str | None = None
    speed: float = 1.0
    reload_interval: float = 0.5
    media_workers: int = 1


async def rulebook_status(request: web.Request) -> web.Response:
    holder = request.app[HOLDER]
    book = holder.current
    return web.json_response(
        {
            "generation": holder.generation,
            "loaded_at": holder.loaded_at,
            "room": {"id": book.room.id, "title": book.room.title, "language": book.room.language},
            "counts": book.summary_counts(),
            "shows": sorted(book.shows),
            "errors": [e.render(book.room.language) for e in holder.errors],
        }
    )


async def host_next_cue(request: web.Request) -> web.Response:
    """`GET /api/show/{room}/next`: the next cue for the host's page (host or team session; read only)."""
    room_id = request.match_info["room"]
    runner = request.app[SHOW_RUNNER]
    if request.app[ROOMS].get(room_id) is None or room_id != runner.room_id:
        raise web.HTTPNotFound()
    if TeamAuth(request.app[SETTINGS].secret).session(request, room_id) is None:
        raise web.HTTPForbidden()
    timeline = await runner.timeline()
    return web.json_response({k: timeline.get(k) for k in ("status", "title", "now_offset", "next")})


async def media_health(request: web.Request) -> web.Response:
    """`GET /api/media/{room}/health`: the room's latest stream health snapshot (team session or bearer)."""
    room_id = request.match_info["room"]
    settings = request.app[ROOMS].get(room_id)
    if settings is None:
        raise web.HTTPNotFound()
    if not TeamAuth(request.app[SETTINGS].secret).is_team(request, settings):
        raise web.HTTPUnauthorized()
    return web.json_response(request.app[MEDIA_SERVER].health(room_id))


def build_app(
    rulebook: Rulebook, settings: ServerSettings, options: RunOptions | None = None
) -> web.Application:
    """The whole server for one rules directory, ready for `web.run_app` or a test client."""
    options = options or RunOptions()
    credentials = load_credentials(rulebook, settings.data_dir)
    settings = dataclasses.replace(settings, secret=credentials.secret)
    rooms = RoomDirectory([room_settings(rulebook, credentials)])
    app = create_app(settings, rooms)
    holder = RulebookHolder(rulebook)
    app[HOLDER] = holder
    app[CREDENTIALS] = credentials

    def on_reload(book: Rulebook) -> None:
        app[ROOMS].replace([room_settings(book, credentials)])

    holder.on_reload.append(on_reload)

    def health() -> dict[str, Any]:
        return {"rulebook": {"generation": holder.generation, "errors": len(holder.errors)}}

    app[HEALTH_PROVIDERS].append(health)
    app.router.add_get("/api/rulebook", rulebook_status)

    async def watcher(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(watch_rules(holder, options.reload_interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(watcher)

    # The room hub (chat socket, pages, event log); the database is migrated before it starts.
    db = Database.open(settings.database_url)

    async def database(app: web.Application) -> AsyncIterator[None]:
        await db.migrate()
        yield
        await db.close()

    app.cleanup_ctx.append(database)
    hub = setup_room(app, db, bus_url=settings.bus_url)

    async def media_event(room_id: str, kind: str, data: dict[str, Any]) -> None:
        # Stream events go to the event log through the hub, so alerts, contingency plans and the review see them.
        await hub.log(hub.line(await hub.room(room_id), kind, data=data))
        await restreamer.on_event(room_id, kind, data)

    # WHIP ingest and WHEP playback: encoded frames forwarded, never re-encoded per viewer.
    # Its Prometheus numbers go into the hub's registry, so the one `/metrics` shows both.
    setup_media(
        app, rooms, on_event=media_event, media_workers=options.media_workers, registry=hub.metrics.registry
    )
    app.router.add_get("/api/media/{room}/health", media_health)

    # Restream (转推, `room.yaml` `restream`): the host's packets re-published by WHIP while live.
    async def restream_event(room_id: str, kind: str, data: dict[str, Any]) -> None:
        await hub.log(hub.line(await hub.room(room_id), kind, data=data))  # restream_started / _failed

    restreamer = Restreamer(app[MEDIA_SERVER], rooms, notify=restream_event)

    async def restreaming(app: web.Application) -> AsyncIterator[None]:
        yield
        await restreamer.close()

    app.cleanup_ctx.append(restreaming)
    # The FAQ bot answers viewer questions in the room; /pause and /resume switch it (and the show).
    faq_bot = setup_faq(app, db, holder)
    pausables: list[Pausable] = [faq_bot]
    # Team alerts and commands (Telegram, or the log without a token); after the hub, which it watches.
    setup_alerts(app, db, holder, AlertOptions(pausables=pausables))
    # The show runner: starts after the hub, resumes a run in progress, `--start SHOW --speed X`.
    pausables.append(setup_show(app, holder, db, options))
    app.router.add_get("/api/show/{room}/next", host_next_cue)
    # Contingency plans (应急预案): after the runner, whose cues they pause and resume.
    setup_contingency(app, holder)
    # 引导关注: a private invitation to follow after `follow_invite.after` of watching.
    setup_follow_invites(app, holder)
    return app


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
