"""Restream: room A's host is re-published (packets, no re-encode) by WHIP to room B; B's viewers see it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiortc import RTCConfiguration, RTCPeerConnection
from conftest import BASE_RULES, until

from bot.app import CREDENTIALS, RunOptions, build_app
from bot.demo.publisher import publish
from bot.rules import load_rulebook
from media.app import MEDIA_SERVER
from media.config import IceServer, Restream, RoomSettings, ServerSettings
from media.rooms import RoomDirectory
from media.rtc.restream import Restreamer

from .clients import whep_play


async def _serve(tmp_path: Path, name: str, restream: str = "") -> TestServer:
    rules = tmp_path / name / "rules"
    shutil.copytree(BASE_RULES, rules)
    with (rules / "room.yaml").open("a", encoding="utf-8") as room:
        room.write(restream)
    settings = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}/liveroom.db",
        data_dir=str(tmp_path / name / "var"),
    )
    server = TestServer(build_app(load_rulebook(rules), settings, RunOptions()), host="127.0.0.1")
    await server.start_server()
    return server


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
        await until(lambda: media_b.is_live(room_b), within=15)
        async with aiohttp.ClientSession() as http:
            viewer, resp, tracks = await whep_play(http, base_b, room_b)
            assert resp.status == 201, await resp.text()
            for _ in range(10):
                frame = await asyncio.wait_for(tracks[0].recv(), 15)
                assert frame.width == 640
        # The host stops: so does the restream, and room B goes off air.
        await session.close()
        session = None
        await until(lambda: not media_b.is_live(room_b), within=15)
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


async def test_a_dropped_restream_is_retried_and_reported(tmp_path: Path) -> None:
    b = await _serve(tmp_path, "b")
    a = await _serve(tmp_path, "a")  # no restream in its room.yaml: the restreamer below is the only one
    base_a, base_b = (str(s.make_url("")).rstrip("/") for s in (a, b))
    target = Restream(f"{base_b}/whip/test-room", b.app[CREDENTIALS].publish_token)
    media_a, media_b = a.app[MEDIA_SERVER], b.app[MEDIA_SERVER]
    rooms = RoomDirectory([RoomSettings(id="test-room", title="A", restream=target)])
    reported: list[tuple[str, dict[str, Any]]] = []

    async def notify(room_id: str, kind: str, data: dict[str, Any]) -> None:
        reported.append((kind, data))

    def kinds() -> list[str]:
        return [kind for kind, _ in reported]

    restreamer = Restreamer(media_a, rooms, notify=notify, retry_delays=(0.2, 0.5), silence_s=2.0)
    session = None
    try:
        session = await publish(f"{base_a}/whip/test-room", a.app[CREDENTIALS].publish_token, "retry")
        await until(lambda: media_a.is_live("test-room"), within=15)
        await restreamer.on_event("test-room", "stream_started", {"slot": "host"})
        await until(lambda: media_b.is_live("test-room"), within=15)
        # B may see the stream before A's restreamer has reported it started (a busy machine)
        await until(lambda: bool(reported), within=15)
        assert reported == [("restream_started", {"target": target.whip_url})]

        # Room B ends the session mid-show (its operator, a restart, a network cut): A publishes again.
        first = restreamer.outbound["test-room"]
        assert first.resource_url is not None
        async with aiohttp.ClientSession() as http:
            gone = await http.delete(first.resource_url, headers={"Authorization": f"Bearer {target.token}"})
            assert gone.status == 200
        await until(lambda: kinds().count("restream_started") == 2, within=15)
        failed = reported[1]
        assert (
            failed[0] == "restream_failed" and failed[1]["failures"] == 1 and failed[1]["retry_in_s"] == 0.2
        )
        await until(lambda: media_b.is_live("test-room"), within=15)
        assert restreamer.outbound["test-room"] is not first and restreamer.failures["test-room"] == 0

        # The host stops: the restream stops and is not retried.
        await restreamer.on_event("test-room", "stream_stopped", {"slot": "host"})
        assert restreamer.outbound == {} and restreamer._tasks == {}
        await until(lambda: not media_b.is_live("test-room"), within=15)
    finally:
        await restreamer.close()
        if session is not None:
            await session.close()
        await a.close()
        await b.close()


async def test_a_refusing_target_is_retried_with_backoff(tmp_path: Path) -> None:
    b = await _serve(tmp_path, "b")
    a = await _serve(tmp_path, "a")
    base_a, base_b = (str(s.make_url("")).rstrip("/") for s in (a, b))
    media_a = a.app[MEDIA_SERVER]
    target = Restream(f"{base_b}/whip/test-room", "wrong-token")
    rooms = RoomDirectory([RoomSettings(id="test-room", title="A", restream=target)])
    reported: list[tuple[str, dict[str, Any]]] = []

    async def notify(room_id: str, kind: str, data: dict[str, Any]) -> None:
        reported.append((kind, data))

    restreamer = Restreamer(media_a, rooms, notify=notify, retry_delays=(0.1, 0.3))
    session = None
    try:
        session = await publish(f"{base_a}/whip/test-room", a.app[CREDENTIALS].publish_token, "refused")
        await until(lambda: media_a.is_live("test-room"), within=15)
        await restreamer.on_event("test-room", "stream_started", {"slot": "host"})
        await until(lambda: len(reported) >= 3, within=15)
        assert [kind for kind, _ in reported[:3]] == ["restream_failed"] * 3
        assert [d["failures"] for _, d in reported[:3]] == [1, 2, 3]
        assert [d["retry_in_s"] for _, d in reported[:3]] == [0.1, 0.3, 0.3]  # the last delay repeats
        assert "WHIP 401" in str(reported[0][1]["error"])
        assert restreamer.outbound == {}  # nothing half-open is left between attempts
    finally:
        await restreamer.close()
        if session is not None:
            await session.close()
        await a.close()
        await b.close()


async def test_restream_uses_the_rooms_stun_and_turn_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await _serve(tmp_path, "a")
    media_a = a.app[MEDIA_SERVER]
    turn = IceServer(("turn:turn.example.com:3478",), "liveroom", "secret")
    target = Restream("http://127.0.0.1:9/whip/x", None)
    rooms = RoomDirectory([RoomSettings(id="test-room", title="A", restream=target, ice_servers=(turn,))])
    configs: list[RTCConfiguration] = []

    class Recording(RTCPeerConnection):
        def __init__(self, configuration: RTCConfiguration) -> None:
            configs.append(configuration)
            raise RuntimeError("recorded, not connecting")

    monkeypatch.setattr("media.rtc.restream.RTCPeerConnection", Recording)
    reported: list[str] = []

    async def notify(room_id: str, kind: str, data: dict[str, Any]) -> None:
        reported.append(str(data.get("error")))

    restreamer = Restreamer(media_a, rooms, notify=notify, retry_delays=(5.0,))
    session = None
    try:
        session = await publish(
            f"{str(a.make_url('')).rstrip('/')}/whip/test-room", a.app[CREDENTIALS].publish_token, "ice"
        )
        await until(lambda: media_a.is_live("test-room"), within=15)
        await restreamer.on_event("test-room", "stream_started", {"slot": "host"})
        await until(lambda: bool(reported), within=15)
        [server] = configs[0].iceServers
        assert server.urls == ["turn:turn.example.com:3478"] and server.username == "liveroom"
        assert reported == ["recorded, not connecting"]
    finally:
        await restreamer.close()
        if session is not None:
            await session.close()
        await a.close()
