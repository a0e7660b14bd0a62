"""Room hub test harness: a demo room, an app with the hub on a fresh database, socket helpers.

Shared by tests/room (through conftest.py) and tests/e2e/test_room_*.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType, web
from aiohttp.test_utils import TestClient

from media.app import create_app
from media.config import Gift, Moderation, ProductCard, RoomSettings, ServerSettings
from media.hub import RoomHub
from media.rooms import RoomDirectory
from media.store.db import Database
from media.web.routes import setup_room

SECRET = "test-secret-0123456789"  # the order webhook's key
SIGNING_KEY = "test-signing-key-9876543210"  # the sessions' and viewer ids' master
PASSWORD = "team-pass-42"
PUBLISH = "publish-token-42"


def demo_room(**changes: Any) -> RoomSettings:
    base: dict[str, Any] = dict(
        id="demo",
        title="测试直播间",
        team_password=PASSWORD,
        publish_token=PUBLISH,
        moderation=Moderation(
            blocked_words=("微信", "加V"), max_message_length=100, rate_messages=5, rate_per_seconds=10
        ),
        gifts=(Gift("rose", "玫瑰", "🌹"), Gift("rocket", "火箭", "🚀")),
        products=(
            ProductCard(
                "tea-01",
                "明前龙井 250g",
                199.0,
                "https://shop.example.com/p/tea-01",
                live_price=159.0,
                stock=80,
            ),
            ProductCard("cup-02", "青瓷茶杯", 59.0, "https://shop.example.com/p/cup-02"),
        ),
    )
    base.update(changes)
    return RoomSettings(**base)


@dataclass
class Socket:
    """A test client socket that keeps every message it receives (batches flattened)."""

    ws: ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    closed_code: int | None = None
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                self.received.extend(data if isinstance(data, list) else [data])
        self.closed_code = self.ws.close_code

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send_str(
            message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)
        )

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == kind]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        seen = 0
        while True:
            for m in self.received[seen:]:
                if predicate(m):
                    return m
            seen = len(self.received)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no matching message in {self.received[-10:]}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.ws.close()
        if self._task is not None:
            await self._task


@dataclass
class RoomApp:
    client: TestClient[web.Request, web.Application]
    hub: RoomHub
    db: Database

    async def viewer(self, token: str | None = None, *, cookieless: bool = False, **query: str) -> Socket:
        """A viewer's socket with `token`, or with a new one as the viewer page's cookie gives a browser;
        `cookieless` connects without any (a new id for this socket only: it may not claim or enter)."""
        params = dict(query)
        if not cookieless:
            params["token"] = token or self.hub.ids.issue().token
        ws = await self.client.ws_connect("/ws/demo", params=params)
        sock = Socket(ws)
        sock.start()
        await sock.wait_for(lambda m: m["type"] == "welcome")
        return sock

    async def team(self) -> Socket:
        """Sign in as the team (cookie + CSRF) and open the operator socket."""
        resp = await self.client.post(
            "/studio/demo/login", data={"password": PASSWORD}, allow_redirects=False
        )
        assert resp.status == 303, await resp.text()
        page = await (await self.client.get("/studio/demo")).text()
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        ws = await self.client.ws_connect("/ws/demo", params={"role": "team", "csrf": csrf})
        sock = Socket(ws)
        sock.start()
        await sock.wait_for(lambda m: m["type"] == "welcome")
        return sock


MakeRoomApp = Callable[..., Awaitable[RoomApp]]


@pytest.fixture
async def make_room_app(
    aiohttp_client: Any, make_database_url: Callable[[str], Awaitable[str]]
) -> AsyncIterator[MakeRoomApp]:
    opened: list[Database] = []
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(
        *, kind: str = "sqlite", room: RoomSettings | None = None, url: str | None = None, **hub_options: Any
    ) -> RoomApp:
        db = Database.open(url or await make_database_url(kind))
        await db.migrate()
        opened.append(db)
        settings = ServerSettings(secret=SECRET, signing_key=SIGNING_KEY)
        app = create_app(settings, RoomDirectory([room or demo_room()]))
        hub = setup_room(app, db, **hub_options)
        client = await aiohttp_client(app)
        clients.append(client)
        return RoomApp(client, hub, db)

    yield make
    for client in clients:  # stop the hubs (they write viewer_left) before their databases close
        await client.close()
    for db in opened:
        await db.close()
