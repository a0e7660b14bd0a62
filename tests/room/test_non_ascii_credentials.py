"""Issue 19 row 11: non-ASCII where a token, cookie or signature goes is refused with a 4xx, never a 500
(`hmac.compare_digest` on two `str`s raises TypeError for non-ASCII)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from media.web.orders import SIGNATURE_HEADER

from .harness import PASSWORD, MakeRoomApp

ODD = ["王", "é", "v" + "王" * 24 + ".abc", "\udcff", "١٢٣"]


def cookie(name: str, value: str) -> dict[str, str]:
    return {"Cookie": f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"}


@pytest.mark.parametrize("odd", ODD)
async def test_non_ascii_tokens_cookies_and_signatures_are_refused_plainly(
    make_room_app: MakeRoomApp, odd: str
) -> None:
    app = await make_room_app()
    client = app.client
    raw = odd.encode("utf-8", "surrogatepass")

    # ?token= on the room socket: a forged viewer id is replaced by a new one (the socket opens).
    ws = await client.ws_connect(f"/ws/demo?token={quote(raw)}")
    assert json.loads((await ws.receive()).data)["type"] == "welcome"
    await ws.close()

    # the viewer cookie on the page: a new id
    page = await client.get("/room/demo", headers=cookie("lr_viewer", odd))
    assert page.status == 200

    # a forged session cookie, with a non-ASCII signature or expiry: not signed in
    for value in (f"demo|team|9999999999|abc|{odd}", f"demo|team|{odd}|abc|deadbeef", odd):
        studio = await client.get("/studio/demo", headers=cookie("lr_session", value))
        assert studio.status == 200 and 'name="password"' in await studio.text()
        api = await client.get("/api/media/demo/health", headers=cookie("lr_session", value))
        assert api.status == 401, await api.text()

    # a bearer token with them, and the raw bytes in a header (latin-1 as HTTP reads them)
    header = odd if odd.isprintable() and "\udcff" not in odd else raw.decode("latin-1")
    bearer = await client.get("/api/media/demo/health", headers={"Authorization": f"Bearer {header}"})
    assert bearer.status == 401

    # the shop's signature header
    body = json.dumps({"order_id": "o1", "room": "demo", "sku": "tea-01", "amount": "1"}).encode()
    for signature in (f"sha256={header}", header):
        order = await client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: signature})
        assert order.status == 401 and (await order.json())["error"] == "bad_signature"

    # a signed-in team member's CSRF token, on the API and the operator socket
    login = await client.post("/studio/demo/login", data={"password": PASSWORD}, allow_redirects=False)
    assert login.status == 303
    refused = await client.post("/api/media/demo/guest", headers={"X-CSRF-Token": header})
    assert refused.status == 403 and (await refused.json())["error"] == "csrf"
    sock = await client.get(f"/ws/demo?role=team&csrf={quote(raw)}")
    assert sock.status == 403
