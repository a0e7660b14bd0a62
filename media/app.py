"""The room server's aiohttp application: all of media's typed app state, `/healthz` and `/static`.

`media.web.routes.setup_room` (the hub, its pages and endpoints) and `media.rtc.routes.setup_media`
(WHIP/WHEP) register on the app built here; the bot's composition root (`bot.app.build`)
adds its parts and health providers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from media.config import ServerSettings
from media.hub.hub import RoomHub
from media.rooms import RoomDirectory
from media.rtc.server import MediaServer
from media.signing import derive_key
from media.web.api import ApiGuard, json_errors
from media.web.auth import TeamAuth
from media.web.clients import forwarded, parse_networks

HealthProvider = Callable[[], dict[str, Any]]

STATIC = Path(__file__).resolve().parent / "web" / "static"

ROOMS = web.AppKey("rooms", RoomDirectory)
SETTINGS = web.AppKey("settings", ServerSettings)
HEALTH_PROVIDERS = web.AppKey("health_providers", list[HealthProvider])
HUB = web.AppKey("room_hub", RoomHub)
MEDIA_SERVER = web.AppKey("media_server", MediaServer)
AUTH = web.AppKey("team_auth", TeamAuth)
GUARD = web.AppKey("api_guard", ApiGuard)


async def healthz(request: web.Request) -> web.Response:
    """`{"status": "ok" | "degraded", "reasons": [...], "rooms": [...], …each provider's part}`.

    A provider reports a problem by a `degraded` list of reasons in its part; the answer stays 200
    (the room still serves what it can: video, chat from memory), `status` and `reasons` say what is wrong.
    """
    body: dict[str, Any] = {"status": "ok", "rooms": request.app[ROOMS].ids()}
    reasons: list[str] = []
    for provider in request.app[HEALTH_PROVIDERS]:
        part = dict(provider())
        reasons += part.pop("degraded", [])
        body.update(part)
    if reasons:
        body["status"] = "degraded"
        body["reasons"] = reasons
    return web.json_response(body)


def create_app(settings: ServerSettings, rooms: RoomDirectory) -> web.Application:
    trusted = parse_networks(settings.trusted_proxies)
    app = web.Application(client_max_size=1024 * 1024, middlewares=[forwarded(trusted), json_errors])
    app[SETTINGS] = settings
    app[ROOMS] = rooms
    app[AUTH] = TeamAuth(derive_key(settings.signing_key, "sessions"), rooms)
    app[GUARD] = ApiGuard(app[AUTH], rooms)
    app[HEALTH_PROVIDERS] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static", STATIC, name="static")
    return app
