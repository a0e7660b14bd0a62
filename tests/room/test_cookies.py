"""Issue 19 row 16: behind TLS (a trusted proxy's `X-Forwarded-Proto: https`) the session and viewer
cookies are `Secure`; the header from anyone else changes nothing."""

from __future__ import annotations

from typing import Any

from media.app import create_app
from media.config import ServerSettings
from media.hub.identity import VIEWER_COOKIE
from media.rooms import RoomDirectory
from media.store.db import Database
from media.web.auth import SESSION_COOKIE
from media.web.routes import setup_room

from .harness import PASSWORD, SECRET, MakeRoomApp, demo_room

TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}


def set_cookie(resp: Any, name: str) -> str:
    return next(h for h in resp.headers.getall("Set-Cookie") if h.startswith(f"{name}="))


async def test_cookies_are_secure_behind_tls(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    login = await app.client.post(
        "/studio/demo/login", data={"password": PASSWORD}, headers=TLS, allow_redirects=False
    )
    assert login.status == 303
    session = set_cookie(login, SESSION_COOKIE)
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Strict" in session
    page = await app.client.get("/room/demo", headers=TLS)
    assert "Secure" in set_cookie(page, VIEWER_COOKIE)
    # plain HTTP (the demo on this machine): no Secure, or the browser would drop the cookie
    plain = await app.client.post("/studio/demo/login", data={"password": PASSWORD}, allow_redirects=False)
    assert "Secure" not in set_cookie(plain, SESSION_COOKIE)


async def test_a_forwarded_proto_from_an_untrusted_peer_is_ignored(
    aiohttp_client: Any, make_database_url: Any
) -> None:
    db = Database.open(await make_database_url("sqlite"))
    await db.migrate()
    app = create_app(ServerSettings(secret=SECRET, trusted_proxies=()), RoomDirectory([demo_room()]))
    setup_room(app, db)
    client = await aiohttp_client(app)
    try:
        page = await client.get("/room/demo", headers=TLS)
        assert "Secure" not in set_cookie(page, VIEWER_COOKIE)
    finally:
        await client.close()
        await db.close()
