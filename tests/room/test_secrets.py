"""Issue 19 rows 9 and 15: one secret per purpose, and sessions that end.

Knowing the shop's webhook key (`var/secret`) no longer mints a team session or a viewer id; a session
ends when it is signed out (on every instance sharing the database) and when the password changes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from media.app import create_app
from media.config import ServerSettings
from media.hub.identity import ViewerIds
from media.rooms import RoomDirectory
from media.signing import derive_key
from media.web.auth import SESSION_COOKIE
from media.web.orders import SIGNATURE_HEADER, sign
from media.web.routes import setup_room

from .harness import PASSWORD, SECRET, SIGNING_KEY, MakeRoomApp, demo_room

KINDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


def minted_with(key: str, payload: str) -> str:
    """A session cookie the way the old server signed it — with the one secret it had."""
    mac = hmac.new(key.encode(), f"session|{payload}".encode(), hashlib.sha256).hexdigest()
    return f"{payload}|{mac}"


def as_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


async def sign_in(app: Any, password: str = PASSWORD) -> tuple[str, str]:
    """(session cookie value, CSRF token) of a fresh team sign-in."""
    resp = await app.client.post("/studio/demo/login", data={"password": password}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    value = resp.cookies[SESSION_COOKIE].value
    page = await (await app.client.get("/studio/demo", headers=as_cookie(value))).text()
    return value, page.split('name="csrf" value="')[1].split('"')[0]


async def is_team(app: Any, value: str) -> bool:
    app.client.session.cookie_jar.clear()
    resp = await app.client.get("/api/media/demo/health", headers=as_cookie(value))
    assert resp.status in (401, 404), await resp.text()  # 404: signed in, no media server in this app
    return resp.status == 404


async def test_the_webhook_secret_signs_orders_and_nothing_else(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    expires = int(time.time()) + 3600
    for payload in (f"demo|team|{expires}|abcdef", f"demo|team|{expires}|abcdef|0123456789abcdef"):
        assert not await is_team(app, minted_with(SECRET, payload))
    # viewer ids signed under the webhook key are not viewer ids: the socket is given a new one
    forged = ViewerIds(hashlib.sha256(b"liveroom-viewer:" + SECRET.encode()).digest()).issue()
    ws = await app.client.ws_connect("/ws/demo", params={"token": forged.token})
    welcome = json.loads((await ws.receive()).data)
    assert welcome["type"] == "welcome" and welcome["viewer_id"] != forged.viewer_id
    await ws.close()
    assert ViewerIds(SECRET).verify(forged.token) is None
    # … while the shop's orders signed with it are taken
    body = json.dumps({"order_id": "o-1", "room": "demo", "sku": "tea-01", "amount": "159.00"}).encode()
    order = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert order.status in (200, 201), await order.text()
    # and the keys for sessions and viewer ids are neither the webhook key nor each other
    keys = {derive_key(SIGNING_KEY, "sessions"), derive_key(SIGNING_KEY, "viewer-ids"), SECRET.encode()}
    assert len(keys) == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_signing_out_ends_the_session_everywhere(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make_room_app(kind=kind)
    value, csrf = await sign_in(app)
    other, _ = await sign_in(app)  # a teammate's session on another device
    assert await is_team(app, value)
    app.client.session.cookie_jar.clear()
    out = await app.client.post(
        "/studio/demo/logout", data={"csrf": csrf}, headers=as_cookie(value), allow_redirects=False
    )
    assert out.status == 303
    assert not await is_team(app, value)
    assert await is_team(app, other)  # only the one signed out ends
    # Another instance on the same database (and signing key) refuses it too.
    settings = ServerSettings(secret=SECRET, signing_key=SIGNING_KEY)
    second = create_app(settings, RoomDirectory([demo_room()]))
    setup_room(second, app.db)
    from aiohttp.test_utils import TestClient, TestServer

    client = TestClient(TestServer(second))
    await client.start_server()
    try:
        refused = await client.get("/api/media/demo/health", headers=as_cookie(value))
        assert refused.status == 401
        kept = await client.get("/api/media/demo/health", headers=as_cookie(other))
        assert kept.status == 404
    finally:
        await client.close()


async def test_changing_the_password_ends_the_old_sessions(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    value, _ = await sign_in(app)
    assert await is_team(app, value)
    app.hub.directory.replace([demo_room(team_password="a-new-password-7")])
    assert not await is_team(app, value)
    new, _ = await sign_in(app, "a-new-password-7")
    assert await is_team(app, new)
