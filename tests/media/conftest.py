"""A room server with only the media side: WHIP/WHEP routes on a fresh app per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from media.app import create_app
from media.config import HlsOutput, RoomSettings, ServerSettings
from media.rooms import RoomDirectory
from media.rtc.routes import setup_media
from media.rtc.server import MediaServer

TOKEN = "test-publish-token"


class MediaHarness:
    def __init__(
        self, app: web.Application, server: MediaServer, events: list[tuple[str, str, dict[str, Any]]]
    ):
        self.app = app
        self.media = server
        self.events = events
        self.base = ""

    def kinds(self) -> list[str]:
        return [kind for _, kind, _ in self.events]


def build(
    tmp_path: Path,
    *,
    record: bool = False,
    media_workers: int = 1,
    sample_interval: float = 1.0,
    hls: HlsOutput | None = None,
) -> MediaHarness:
    events: list[tuple[str, str, dict[str, Any]]] = []

    async def on_event(room: str, kind: str, data: dict[str, Any]) -> None:
        events.append((room, kind, data))

    rooms = RoomDirectory(
        [RoomSettings(id="demo", title="测试直播间", publish_token=TOKEN, record=record, hls=hls)]
    )
    app = create_app(ServerSettings(data_dir=str(tmp_path)), rooms)
    server = setup_media(
        app, rooms, on_event=on_event, media_workers=media_workers, sample_interval=sample_interval
    )
    return MediaHarness(app, server, events)


async def serve(harness: MediaHarness) -> TestServer:
    """Serve the harness on a real port (WebRTC peers need one) and set its `base`."""
    server = TestServer(harness.app, host="127.0.0.1")
    await server.start_server()
    harness.base = str(server.make_url("")).rstrip("/")
    return server


@pytest.fixture
async def media(tmp_path: Path) -> AsyncIterator[MediaHarness]:
    harness = build(tmp_path)
    server = await serve(harness)
    yield harness
    await server.close()
