"""`setup_media`: the media server on the app, with its WHIP and WHEP routes; every peer closed on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from media.app import AUTH, MEDIA_SERVER, SETTINGS
from media.rooms import RoomDirectory
from media.rtc.health import SAMPLE_INTERVAL_S
from media.rtc.hlsweb import add_hls_routes
from media.rtc.server import EventSink, MediaServer
from media.rtc.whep import add_whep_routes
from media.rtc.whip import add_whip_routes
from media.web.clients import client_address


def setup_media(
    app: web.Application,
    rooms: RoomDirectory,
    *,
    on_event: EventSink | None = None,
    media_workers: int = 1,
    registry: CollectorRegistry | None = None,
    recordings_dir: Path | None = None,
    sample_interval: float = SAMPLE_INTERVAL_S,
) -> MediaServer:
    """Create the media server for `rooms` and register `/whip/…`, `/whep/…` and `/hls/…`."""
    # aioice logs every candidate pair's every state at INFO: a line per check per viewer, thousands a
    # minute when offers flood in. Its warnings and errors still show.
    if logging.getLogger("aioice").level < logging.WARNING:
        logging.getLogger("aioice").setLevel(logging.WARNING)
    if recordings_dir is None:
        settings = app.get(SETTINGS)
        recordings_dir = Path(settings.data_dir if settings else "var") / "recordings"
    server = MediaServer(
        rooms,
        on_event=on_event,
        media_workers=media_workers,
        registry=registry,
        recordings_dir=recordings_dir,
        sample_interval=sample_interval,
    )
    auth = app.get(AUTH)
    if auth is not None:  # one credential backoff for every check of the app
        server.backoff = auth.backoff
    server.address_of = client_address
    app[MEDIA_SERVER] = server
    add_whip_routes(app, server)
    add_whep_routes(app, server)
    add_hls_routes(app, server)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await server.start()
        yield
        await server.close()

    app.cleanup_ctx.append(lifecycle)
    return server
