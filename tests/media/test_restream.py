"""Restream: room A's host is re-published (packets, no re-encode) by WHIP to room B; B's viewers see it."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from bot.demo.publisher import publish
from bot.rules import load_rulebook
from bot.serve import CREDENTIALS, RunOptions, build_app
from media.config import ServerSettings
from media.restream import Restreamer
from media.server import MEDIA_SERVER

from .clients import whep_play

BASE = Path(__file__).parent.parent / "rules_bad" / "_base"


async def _serve(tmp_path: Path, name: str, restream: str = "") -> TestServer:
    rules = tmp_path / name / "rules"
    shutil.copytree(BASE, rules)
    if restream:
        room = rules / "room.yaml"
        room.write_text(room.read_text(encoding="utf-8") + restream, encoding="utf-8")
    settings = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}/liveroom.db",
        data_dir=str(tmp_path / name / "var"),
    )
    server = TestServer(build_app(load_rulebook(rules), settings, RunOptions()), host="127.0.0.1")
    await server.start_server()
    return server


async def _until(predicate, within: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_room_a_restreams_to_room_b(tmp_path: Path) -> None:
    b = await _serve(tmp_path, "b")
    base_b = str(b.make_url("")).rstrip("/")
    room_b = "test-room"
    token_b = b.app[CREDENTIALS].publish_token
    a = await _serve(
        tmp_path, "a", f'\nrestream:\n  whip_url: "{base_b}/whip/{room_b}"\n  token: "{token_b}"\n'
    )
    base_a = str(a.make_url("")).rstrip("/")
    session = None
    viewer = None
    try:
        session = await publish(f"{base_a}/whip/test-room", a.app[CREDENTIALS].publish_token, "restream")
        media_b = b.app[MEDIA_SERVER]
        await _until(lambda: media_b.is_live(room_b))
        async with aiohttp.ClientSession() as http:
            viewer, resp, tracks = await whep_play(http, base_b, room_b)
            assert resp.status == 201, await resp.text()
            for _ in range(10):
                frame = await asyncio.wait_for(tracks[0].recv(), 15)
                assert frame.width == 640
        # The host stops: so does the restream, and room B goes off air.
        await session.close()
        session = None
        await _until(lambda: not media_b.is_live(room_b))
    finally:
        if viewer is not None:
            await viewer.close()
        if session is not None:
            await session.close()
        await a.close()
        await b.close()


async def test_no_target_no_restream(tmp_path: Path) -> None:
    a = await _serve(tmp_path, "a")
    restreamer = Restreamer(a.app[MEDIA_SERVER], a.app[MEDIA_SERVER].rooms)
    try:
        await restreamer.on_event("test-room", "stream_started", {"slot": "host"})
        assert restreamer.outbound == {} and restreamer._tasks == {}
    finally:
        await a.close()
