"""Property-based fuzz of every JSON API body and every query parameter the server reads (issue 19).

One whole `liveroom run` app (build_app on the base rules, SQLite) takes hypothesis-made requests: the
show controls, the FAQ switch, the guest invite, the signed order webhook, the read-only API routes,
the tracked product link, the pages and the room socket's handshake, with bodies and query values drawn
from JSON of every shape (NaN, infinities, huge integers, control characters) around the real field
names. No request may get a 5xx, and afterwards a new app on the same database must start and serve:
nothing stored can stop a restart.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from conftest import BaseRules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import RunOptions, build_app
from bot.rules import load_rulebook
from media.config import ServerSettings
from media.web.orders import SIGNATURE_HEADER, sign

T = TypeVar("T")
PASSWORD = "fuzz-team-password"
SECRET = "fuzz-secret-0123456789abcdef"
ROOM = "test-room"

FIELDS = ["show", "speed", "cue", "seconds", "order_id", "room", "sku", "quantity", "amount", "viewer_id",
          "coupon_id", "x"]  # fmt: skip
QUERY_NAMES = ["role", "token", "nick", "csrf", "src", "lang", "limit", "x"]
ROOMS = [ROOM, ROOM, "nope", "", "..", "%00", "a" * 100]
TEXTS = st.text(max_size=40) | st.sampled_from(["s", "mini", "PAN-01", "TEA-05", "save-50", "pick", "bag-1", "fuzz",
                                                 "show:end", "warm:start", "\x00", "../..", "💥" * 20])  # fmt: skip
NUMBERS = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, -1, 1e-300, 1e308, 2**63, 2**62, 0.5, 1000, 1001, 86400, 86401])
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXTS
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)  # fmt: skip
OBJECT = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)
RAW = st.binary(max_size=60) | st.sampled_from([b"", b"{", b"[]", b"null", b'{"speed": NaN}', b"\xff\xfe"])
BODY = OBJECT.map(lambda o: json.dumps(o, ensure_ascii=False).encode()) | JSON.map(
    lambda v: json.dumps(v).encode()
) | RAW  # fmt: skip
QUERY = st.dictionaries(st.sampled_from(QUERY_NAMES), TEXTS | NUMBERS.map(str), max_size=4)
# Bodies close to the real ones, so most get past the JSON and reach the checks of each field.
# A 10-second show: started at the fastest speed the room runs (hypothesis's simplest speed) it is over at
# once, so most starts meet no run in progress and try their own speed (and shifts meet a running one).
FUZZ_SHOW = """\
title: 很短的一场
starts_at: 2026-11-28T20:00:00+08:00
segments:
  - id: only
    kind: 暖场
    duration: 10s
    cues:
      - {id: hi, at: 0, say: 你好}
      - {id: bye, at: 9s, say: 再见}
"""
SPEEDS = st.sampled_from(
    [1000, 1e-300, 1e-9, 0, -1, 0.001, 1001, 1e308, 2**63, math.inf, -math.inf, math.nan]
)
SHOW_BODY = st.fixed_dictionaries(
    {"show": st.sampled_from(["fuzz", "fuzz", "s", "nope"]) | JSON, "speed": SPEEDS | NUMBERS | JSON},
    optional={
        "cue": st.sampled_from(["pick", "bag-1", "warm:start", "show:end", "nope"]) | JSON,
        "seconds": st.sampled_from([60, 1e308, -1e308, math.nan, math.inf, 86401]) | NUMBERS | JSON,
        "x": JSON,
    },
)
ORDER_BODY = st.fixed_dictionaries(
    {
        "order_id": st.uuids().map(str) | TEXTS | JSON,
        "room": st.sampled_from([ROOM, ROOM, ROOM, "nope"]) | JSON,
        "sku": st.sampled_from(["PAN-01", "TEA-05", "nope"]) | JSON,
        "amount": st.sampled_from(["159.00", "0", "-1", "NaN"]) | NUMBERS | JSON,
    },
    optional={"quantity": NUMBERS | JSON, "viewer_id": TEXTS | JSON, "coupon_id": TEXTS | JSON},
)


LEARN_BODY = st.fixed_dictionaries(
    {},
    optional={
        "message_id": st.sampled_from([1, 2**53, 2**63, 0, -1]) | NUMBERS | JSON,
        "question": st.sampled_from(["多久发货", "有没有实体店", "", "a" * 501, "x: [y]", "# 注释"])
        | TEXTS
        | JSON,
        "faq_id": st.sampled_from(["ship-time", "pan-size", "nope", "Bad_Id"]) | JSON,
        "new": st.fixed_dictionaries(
            {"answer": st.sampled_from(["可以", ""]) | TEXTS | JSON},
            optional={
                "id": st.sampled_from(["ship-time", "new-one", "Bad_Id"]) | JSON,
                "tags": st.lists(TEXTS, max_size=12) | JSON,
                "product": st.sampled_from(["PAN-01", "nope"]) | JSON,
            },
        )
        | JSON,
    },
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes, dict[str, str]]:
    """(method, path, query, body, headers) for one request to the server."""
    # hypothesis starts from 0 (its simplest): that is the ordinary case, the odd ones come after.
    room = quote(ROOM if draw(st.integers(0, 9)) < 9 else draw(st.sampled_from(ROOMS)), safe="")
    # Mostly as the team (so bodies reach validation), sometimes without credentials.
    bearer = {"Authorization": f"Bearer {PASSWORD}"} if draw(st.integers(0, 9)) < 9 else {}
    query = draw(QUERY)
    kind = draw(
        st.sampled_from(
            ["show"] * 8
            + ["faq", "learn", "guest", "orders", "orders", "orders", "read", "go", "page", "ws", "login"]
        )
    )
    if kind == "show":
        action = draw(
            st.sampled_from(["start", "start", "start", "pause", "resume", "skip", "fire", "shift"])
        )
        # Bodies as json.dumps writes them (NaN, Infinity), mostly of the right shape.
        shaped = draw(st.integers(0, 9)) < 9
        body = draw(SHOW_BODY.map(lambda o: json.dumps(o).encode()) if shaped else BODY)
        return "POST", f"/api/show/{room}/{action}", query, body, bearer
    if kind == "faq":
        action = draw(st.sampled_from(["pause", "resume"]))
        return "POST", f"/api/faq/{room}/{action}", query, draw(BODY), bearer
    if kind == "learn":  # 加入FAQ: writes faq.yaml when the result loads, so the restart below reads it
        body = draw(LEARN_BODY.map(lambda o: json.dumps(o, ensure_ascii=False).encode()) | BODY)
        return "POST", f"/api/faq/{room}/learn", query, body, bearer
    if kind == "guest":
        return (
            draw(st.sampled_from(["POST", "DELETE"])),
            f"/api/media/{room}/guest",
            query,
            draw(BODY),
            bearer,
        )
    if kind == "orders":
        body = draw(ORDER_BODY.map(lambda o: json.dumps(o, ensure_ascii=False).encode()) | BODY)
        signed = {SIGNATURE_HEADER: sign(SECRET, body)} if draw(st.integers(0, 9)) < 9 else {}
        return "POST", "/api/orders", query, body, signed
    if kind == "read":
        path = draw(
            st.sampled_from(
                [f"/api/show/{room}", f"/api/show/{room}/next", f"/api/alerts/{room}", "/api/rulebook",
                 f"/api/media/{room}/health", "/healthz", "/metrics"]
            )
        )  # fmt: skip
        return "GET", path, query, b"", bearer
    if kind == "go":
        sku = quote(draw(TEXTS | st.sampled_from(["PAN-01", "TEA-05"])), safe="")
        return "GET", f"/go/{room}/{sku or 'x'}", query, b"", {}
    if kind == "page":
        page = draw(st.sampled_from(["room", "studio", "host", "guest"]))
        return "GET", f"/{page}/{room}", query, b"", {}
    if kind == "ws":
        return "WS", f"/ws/{room}", query, b"", bearer if draw(st.booleans()) else {}
    form = draw(st.dictionaries(st.sampled_from(["password", "csrf", "x"]), TEXTS, max_size=3))
    return "FORM", f"/{draw(st.sampled_from(['studio', 'host']))}/{room}/login", query, b"", form


@dataclass
class Server:
    runner: web.AppRunner
    base: str
    session: aiohttp.ClientSession
    answers: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


async def _serve(rules: Path, settings_: ServerSettings) -> Server:
    app = build_app(load_rulebook(rules), settings_, RunOptions(reload_interval=60))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    jar = aiohttp.DummyCookieJar()
    return Server(runner, f"http://127.0.0.1:{port}", aiohttp.ClientSession(cookie_jar=jar))


async def _send(server: Server, request: tuple[str, str, dict[str, str], bytes, dict[str, str]]) -> None:
    method, path, query, body, headers = request
    url = server.base + path
    timeout = aiohttp.ClientTimeout(total=15)
    if method == "WS":
        try:
            ws = await server.session.ws_connect(
                url, params=query, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=2)
            )
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
        else:
            status = 101
            await ws.receive(timeout=5)  # the welcome (or a close)
            await ws.close()
    elif method == "FORM":
        async with server.session.post(
            url, params=query, data=headers, allow_redirects=False, timeout=timeout
        ) as r:
            status = r.status
            await r.read()
    else:
        async with server.session.request(
            method, url, params=query, data=body, headers=headers, allow_redirects=False, timeout=timeout
        ) as r:
            status = r.status
            text = await r.read()
            if path.startswith("/api/") and status >= 400:
                answer = json.loads(text)
                if set(answer) != {"error", "message"}:
                    server.failures.append(
                        f"{method} {path} {status}: not the one error shape: {text[:200]!r}"
                    )
    server.answers[status] = server.answers.get(status, 0) + 1
    if status >= 500:
        server.failures.append(f"{method} {path}?{query} {body[:80]!r} → {status}")


async def _restart_serves(rules: Path, settings_: ServerSettings) -> None:
    server = await _serve(rules, settings_)
    try:
        headers = {"Authorization": f"Bearer {PASSWORD}"}
        async with server.session.get(server.base + "/healthz") as r:
            health = await r.json()
            assert r.status == 200 and health["status"] == "ok", health
        for path in (f"/api/show/{ROOM}", f"/api/show/{ROOM}/next", f"/api/alerts/{ROOM}", "/api/rulebook"):
            async with server.session.get(server.base + path, headers=headers) as r:
                assert r.status == 200, (path, r.status, await r.text())
                body = await r.text()
                assert "NaN" not in body and "Infinity" not in body, (path, body[:300])
                json.loads(body)
        async with server.session.post(
            server.base + f"/api/show/{ROOM}/start", json={"show": "s", "speed": 2}, headers=headers
        ) as r:
            assert r.status in (200, 409), await r.text()  # started, or the run in progress goes on
        async with server.session.ws_connect(server.base + f"/ws/{ROOM}") as ws:
            welcome = json.loads((await ws.receive(timeout=5)).data)
            assert welcome["type"] == "welcome"
    finally:
        await server.session.close()
        await server.runner.cleanup()


def test_no_request_gets_a_5xx_and_nothing_stored_stops_a_restart(
    base_rules: BaseRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEROOM_TEAM_PASSWORD", PASSWORD)
    monkeypatch.setenv("LIVEROOM_SECRET", SECRET)
    rules = base_rules(write={"shows/fuzz.yaml": FUZZ_SHOW})
    settings_ = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        data_dir=str(tmp_path / "var"),
        secret=SECRET,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(120)

    server = run(_serve(rules, settings_))
    try:

        @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(requests())
        def fuzz(request: tuple[str, str, dict[str, str], bytes, dict[str, str]]) -> None:
            run(_send(server, request))

        fuzz()
        print("answers by status:", dict(sorted(server.answers.items())))
        assert not server.failures, "\n".join(server.failures[:20])
        assert sum(server.answers.values()) >= 400 and any(200 <= s < 300 for s in server.answers), (
            server.answers
        )
        assert any(400 <= s < 500 for s in server.answers), server.answers
        run(server.session.close())
        run(server.runner.cleanup())
        run(_restart_serves(rules, settings_))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
