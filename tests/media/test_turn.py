"""Issue 19 row 8: TURN credentials are short-lived (coturn's use-auth-secret scheme), handed out only with
a session's WHIP/WHEP answer, and the fixed room.yaml password never leaves the server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from aiortc import RTCConfiguration, RTCPeerConnection

from media.app import create_app
from media.config import IceServer, RoomSettings, ServerSettings
from media.rooms import RoomDirectory
from media.rtc.offers import rtc_ice_servers
from media.rtc.routes import setup_media

SECRET = "coturn-static-auth-secret"
FIXED = IceServer(("turn:turn.example.com:3478",), "liveroom", "fixed-password-in-room-yaml")
ROTATING = IceServer(
    ("stun:stun.example.com:3478", "turn:turn2.example.com:3478?transport=udp"), secret=SECRET, ttl=600
)


async def offer() -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def links(resp: aiohttp.ClientResponse) -> list[str]:
    return resp.headers.getall("Link", [])


async def test_turn_credentials_are_per_session_and_short_lived(tmp_path: Path) -> None:
    rooms = RoomDirectory([RoomSettings(id="demo", title="t", ice_servers=(FIXED, ROTATING))])
    app = create_app(ServerSettings(data_dir=str(tmp_path)), rooms)
    setup_media(app, rooms)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            options = await http.options(f"{base}/whep/demo")
            told = links(options)
            assert told == ['<stun:stun.example.com:3478>; rel="ice-server"']  # no TURN before a session
            sdp = await offer()
            answers: list[Any] = []
            for _ in range(2):
                resp = await http.post(
                    f"{base}/whep/demo", data=sdp, headers={"Content-Type": "application/sdp"}
                )
                assert resp.status == 201
                answers.append((resp.headers["Location"].rsplit("/", 1)[-1], links(resp)))
    finally:
        await server.close()

    for session, told in answers:
        text = "\n".join(told)
        assert "fixed-password-in-room-yaml" not in text and "turn.example.com" not in text
        [turn] = [link for link in told if "turn2.example.com" in link]
        username = turn.split('username="')[1].split('"')[0]
        credential = turn.split('credential="')[1].split('"')[0]
        expires, who = username.split(":")
        assert who == session
        assert time.time() < int(expires) <= time.time() + 600 + 1
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
        ).decode()
        assert credential == expected
    assert answers[0][1] != answers[1][1]  # each session its own

    # liveroom's own peers still use both servers
    own = rtc_ice_servers((FIXED, ROTATING))
    assert own[0].credential == "fixed-password-in-room-yaml" and own[1].username.endswith(":liveroom")
