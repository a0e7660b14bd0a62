"""Every API route refuses in the one JSON shape: `{"error": code, "message": text}`.

The test walks the whole app's route table: each `/api/…` route is called without credentials
(401, "who are you"), with a host session where only the team may (403, "not allowed"), and the
API's own refusals (no such route, wrong method, unknown room) keep the same shape.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from conftest import ServeRoom

from bot.app import CREDENTIALS

PUBLIC = {"/api/rulebook"}  # read-only, what the studio shows before sign-in
SIGNED = {"/api/orders"}  # the shop's webhook: HMAC, not a login


def _concrete(resource: Any, room: str) -> str:
    """A URL the resource matches: `{room}` filled in, `{action:start|pause…}` as its first choice."""
    info = resource.get_info()
    path = info.get("formatter") or info.get("path") or resource.canonical
    pattern = info["pattern"].pattern if "pattern" in info else ""
    for name in re.findall(r"\{(\w+)\}", path):
        choice = re.search(rf"\(\?P<{name}>([\w-]+)", pattern)
        path = path.replace("{" + name + "}", room if name == "room" else choice.group(1) if choice else "x")
    return str(path)


async def _refusal(response: aiohttp.ClientResponse) -> dict[str, Any]:
    assert response.content_type == "application/json", (response.url, response.status)
    body = await response.json()
    assert set(body) == {"error", "message"}, body
    assert body["error"] and body["message"], body
    return dict(body)


async def test_every_api_route_refuses_in_one_shape(serve_room: ServeRoom) -> None:
    served = await serve_room()
    routes = [
        (route.method, route.resource)
        for route in served.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method not in ("HEAD", "OPTIONS")
    ]
    guarded = [(m, r) for m, r in routes if r.canonical not in PUBLIC | SIGNED]
    # show (3), faq state, switch, entries and learn, alerts, media health and live, guest (2)
    assert len(guarded) == 12, routes
    async with aiohttp.ClientSession() as anonymous:
        for method, resource in guarded:
            url = served.base + _concrete(resource, served.room)
            async with anonymous.request(method, url, json={}) as response:
                assert response.status == 401, (method, url, response.status)
                assert (await _refusal(response))["error"] == "unauthorized"
        for path in SIGNED:
            async with anonymous.post(served.base + path, data=b"{}") as response:
                assert response.status == 401
                assert (await _refusal(response))["error"] == "bad_signature"
        async with anonymous.get(f"{served.base}/api/show/nope") as response:
            assert response.status in (401, 404)
            await _refusal(response)
        async with anonymous.get(f"{served.base}/api/no-such-thing") as response:
            assert response.status == 404
            assert (await _refusal(response))["error"] == "not_found"
        async with anonymous.delete(f"{served.base}/api/rulebook") as response:
            assert response.status == 405
            assert (await _refusal(response))["error"] == "method_not_allowed"

    # A host session may read the next cue and invite a guest, but not the team's routes.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as host:
        token = served.app[CREDENTIALS].publish_token
        login = await host.post(f"{served.base}/host/{served.room}/login", data={"password": token})
        assert login.status == 200
        async with host.get(f"{served.base}/api/show/{served.room}/next") as response:
            assert response.status == 200
        async with host.get(f"{served.base}/api/media/{served.room}/live") as response:
            assert response.status == 200
            assert await response.json() == {"live": False}
        for method, resource in guarded:
            if resource.canonical.endswith(("/next", "/guest", "/live")):
                continue
            url = served.base + _concrete(resource, served.room)
            async with host.request(method, url, json={}) as response:
                assert response.status == 403, (method, url, response.status)
                await _refusal(response)
