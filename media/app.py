"""The room server's aiohttp application: typed app state and the health endpoint.

Parts of the room (hub, media, pages) register their routes on the app built
here; the bot adds its own through `health_providers` and extra routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from media.config import ServerSettings
from media.rooms import RoomDirectory

HealthProvider = Callable[[], dict[str, Any]]

ROOMS = web.AppKey("rooms", RoomDirectory)
SETTINGS = web.AppKey("settings", ServerSettings)
HEALTH_PROVIDERS = web.AppKey("health_providers", list[HealthProvider])


async def healthz(request: web.Request) -> web.Response:
    body: dict[str, Any] = {"status": "ok", "rooms": request.app[ROOMS].ids()}
    for provider in request.app[HEALTH_PROVIDERS]:
        body.update(provider())
    return web.json_response(body)


def create_app(settings: ServerSettings, rooms: RoomDirectory) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    app[ROOMS] = rooms
    app[HEALTH_PROVIDERS] = []
    app.router.add_get("/healthz", healthz)
    return app
