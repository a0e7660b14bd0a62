"""`setup_room`: the room hub on the app, with every room HTTP route: socket, pages, sign-in, guests, shop, metrics."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from media.app import AUTH, GUARD, HEALTH_PROVIDERS, HUB, ROOMS, SETTINGS
from media.guessing import BackoffCollector
from media.hub.bus import open_bus
from media.hub.clock import Clock
from media.hub.hub import RoomHub
from media.signing import derive_key
from media.store.db import Database
from media.web.auth import TeamAuth
from media.web.guests import end_guest, guest_page, invite_guest, stream_health, stream_live
from media.web.metrics import metrics_endpoint
from media.web.orders import orders_webhook, tracked_link
from media.web.pages import host_page, studio_page, viewer_page
from media.web.replay import replay_page, replay_video
from media.web.staff_sessions import login, logout
from media.web.ws import room_socket

log = logging.getLogger(__name__)

ENDED_READ_EVERY = 5.0


def setup_room(
    app: web.Application,
    db: Database,
    *,
    bus_url: str | None = None,
    instance: str | None = None,
    clock: Clock | None = None,
    batch_interval: float = 0.1,
) -> RoomHub:
    """Create the hub for the app's rooms and register its routes; it starts and stops with the app.

    `db` must be migrated before the app starts (a cleanup_ctx appended before this one).
    """
    settings = app[SETTINGS]
    hub = RoomHub(
        app[ROOMS],
        db,
        secret=settings.secret,
        viewer_key=derive_key(settings.signing_key, "viewer-ids"),
        bus=open_bus(bus_url),
        instance=instance,
        clock=clock,
        batch_interval=batch_interval,
        backoff=app[AUTH].backoff,
    )
    auth, guard = app[AUTH], app[GUARD]
    hub.metrics.registry.register(BackoffCollector(auth.backoff))
    app[HUB] = hub

    r = app.router
    r.add_get("/ws/{room}", functools.partial(_call, room_socket, hub, auth), name="room_socket")
    r.add_get("/room/{room}", functools.partial(_call, viewer_page, hub), name="room_page")
    r.add_get("/studio/{room}", functools.partial(_call, studio_page, hub, auth), name="studio_page")
    r.add_post("/studio/{room}/login", functools.partial(_call, login, hub, auth, "team"))
    r.add_post("/studio/{room}/logout", functools.partial(_call, logout, hub, auth))
    r.add_get("/host/{room}", functools.partial(_call, host_page, hub, auth), name="host_page")
    r.add_post("/host/{room}/login", functools.partial(_call, login, hub, auth, "host"))
    r.add_get("/guest/{room}", functools.partial(_call, guest_page, hub), name="guest_page")
    recordings = Path(settings.data_dir) / "recordings"  # where media/rtc writes them (setup_media)
    r.add_get(
        "/replay/{room}/{run}",
        functools.partial(_call, replay_page, hub, auth, recordings),
        name="replay_page",
    )
    r.add_get(
        "/replay/{room}/{run}/video/{n}",
        functools.partial(_call, replay_video, hub, auth, recordings),
        name="replay_video",
    )
    r.add_post("/api/media/{room}/guest", guard.staff_only(invite_guest))
    r.add_delete("/api/media/{room}/guest", guard.staff_only(end_guest))
    r.add_get("/api/media/{room}/health", guard.team_only(stream_health))
    r.add_get("/api/media/{room}/live", guard.staff_only(stream_live))
    r.add_get("/go/{room}/{sku}", functools.partial(_call, tracked_link, hub), name="tracked_link")
    r.add_post("/api/orders", functools.partial(_call, orders_webhook, hub), name="orders_webhook")
    if not any(getattr(res, "canonical", None) == "/metrics" for res in r.resources()):
        r.add_get("/metrics", functools.partial(_call_metrics, hub), name="metrics")

    def health() -> dict[str, Any]:
        return {
            "hub": {"instance": hub.instance, "running": hub.started, "connections": hub.connection_count()},
            **hub.eventlog.health(),  # the database part, `degraded` when the log cannot be written
        }

    app[HEALTH_PROVIDERS].append(health)

    auth.db = db

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        try:
            await auth.refresh()
        except Exception:
            log.warning("reading ended sessions failed", exc_info=True)
        reading = asyncio.create_task(_read_ended_sessions(auth), name="ended-sessions")
        yield
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await hub.stop()

    app.cleanup_ctx.append(lifecycle)
    return hub


async def _read_ended_sessions(auth: TeamAuth) -> None:
    """Sessions signed out on another instance are refused here too, within `ENDED_READ_EVERY` s."""
    failing = False
    while True:
        await asyncio.sleep(ENDED_READ_EVERY)
        try:
            await auth.refresh()
        except Exception:
            if not failing:  # once per outage, not every 5 s (the database part of /healthz says more)
                log.warning("reading ended sessions failed", exc_info=True)
            failing = True
        else:
            failing = False


async def _call(handler: Any, *args: Any) -> web.StreamResponse:
    *bound, request = args
    return await handler(request, *bound)  # type: ignore[no-any-return]


async def _call_metrics(hub: RoomHub, request: web.Request) -> web.Response:
    return await metrics_endpoint(request, hub.metrics)
