"""A stage for show tests: the real room hub and a `ShowRunner` on one injected clock.

The clock only moves when the test moves it, so an hour-long show plays in seconds and
every room message lands exactly when the runner fired it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType, web
from aiohttp.test_utils import TestClient

from bot.app.credentials import Credentials
from bot.app.roomsettings import room_settings
from bot.rules import Rulebook, load_rulebook
from bot.rules.reload import RulebookHolder
from bot.show.runner import RunnerSettings, ShowRunner
from bot.show.runs import RunRow
from media.app import create_app
from media.config import ServerSettings
from media.hub import RoomEvent, RoomHub
from media.hub.clock import ManualClock
from media.rooms import RoomDirectory
from media.store.db import Database
from media.web.routes import setup_room

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "rules"
SECRET = "show-test-secret-0123456789"
PASSWORD = "team-pass-42"
CREDENTIALS = Credentials(SECRET, "publish-42", PASSWORD, False, False)
START = 1_780_000_000.0


@dataclass
class Socket:
    ws: ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                self.received.extend(data if isinstance(data, list) else [data])

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for m in self.received:
                if predicate(m):
                    return m
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no matching message in {self.received[-10:]}")
            await asyncio.sleep(0.02)


@dataclass
class Stage:
    client: TestClient[web.Request, web.Application]
    hub: RoomHub
    db: Database
    holder: RulebookHolder
    clock: ManualClock
    runner: ShowRunner
    events: list[RoomEvent] = field(default_factory=list)
    sockets: list[Socket] = field(default_factory=list)

    @property
    def room(self) -> str:
        return self.runner.room_id

    async def viewer(self, nickname: str) -> Socket:
        token = self.hub.ids.issue().token  # as the viewer page's cookie gives a browser
        ws = await self.client.ws_connect(f"/ws/{self.room}", params={"nickname": nickname, "token": token})
        sock = Socket(ws)
        sock.task = asyncio.create_task(sock._read())
        self.sockets.append(sock)
        await sock.wait_for(lambda m: m["type"] == "welcome")
        return sock

    def offset_at(self, run: RunRow, ts: float) -> float:
        """Show offset of a real time in `run` (as it started: no shift or pause)."""
        return (ts - run.started_at) * run.speed

    async def settle(self) -> None:
        """Let the hub's writer and subscribers catch up."""
        await asyncio.sleep(0.05)

    async def play(
        self,
        until: float | None = None,
        audience: list[tuple[float, Callable[[], Awaitable[None]]]] | None = None,
    ) -> None:
        """Move the clock firing by firing (to show offset `until`, or to the show's end).

        `audience` actions run at their show offsets, before a firing due at the same moment.
        """
        todo = sorted(audience or [], key=lambda item: item[0])
        while self.runner.active is not None and self.runner.next_at is not None:
            clock = self.runner.active.clock
            at = clock.offset(self.runner.next_at)
            while todo and todo[0][0] <= at and (until is None or todo[0][0] <= until):
                when, act = todo.pop(0)
                self.clock.now = max(self.clock.now, clock.real_time(when))
                await act()
            if until is not None and at > until:
                self.clock.now = max(self.clock.now, clock.real_time(until))
                await self.runner.run_due()
                return
            self.clock.now = max(self.clock.now, clock.real_time(at))
            await self.runner.run_due()

    async def viewer_lines(self, count: int) -> None:
        """Wait until the hub has logged `count` viewer chat lines in all."""
        for _ in range(300):
            if sum(1 for e in self.events if e.kind == "chat" and e.data.get("role") == "viewer") >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("viewer lines did not arrive")

    def room_messages(self) -> list[RoomEvent]:
        kinds = {
            "pin",
            "coupon_pushed",
            "vote_opened",
            "vote_closed",
            "lottery_opened",
            "lottery_drawn",
            "countdown_started",
        }
        return [
            e
            for e in self.events
            if e.room_id == self.room
            and (e.kind in kinds or (e.kind == "chat" and e.data.get("role") == "bot"))
        ]


MakeStage = Callable[..., Awaitable[Stage]]


@pytest.fixture
async def make_stage(
    aiohttp_client: Any, make_database_url: Callable[[str], Awaitable[str]]
) -> AsyncIterator[MakeStage]:
    opened: list[tuple[Database, ShowRunner, TestClient[web.Request, web.Application]]] = []

    async def make(
        *,
        rules: Path = DATA,
        kind: str = "sqlite",
        url: str | None = None,
        clock: ManualClock | None = None,
        settings: RunnerSettings | None = None,
        book: Rulebook | None = None,
    ) -> Stage:
        book = book or load_rulebook(rules)
        db = Database.open(url or await make_database_url(kind))
        await db.migrate()
        clock = clock or ManualClock(START)
        app = create_app(ServerSettings(secret=SECRET), RoomDirectory([room_settings(book, CREDENTIALS)]))
        hub = setup_room(app, db, clock=clock)
        client = await aiohttp_client(app)
        holder = RulebookHolder(book)
        runner = ShowRunner(hub, db, holder, clock=clock, settings=settings, drive=False)
        stage = Stage(client, hub, db, holder, clock, runner)
        hub.subscribe(stage.events.append)
        await runner.open()
        opened.append((db, runner, client))
        return stage

    yield make
    for db, runner, client in opened:
        await runner.close()
        await client.close()
        await db.close()
