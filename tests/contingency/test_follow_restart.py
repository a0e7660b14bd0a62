"""引导关注 across a restart: who was invited (or follows) is read back from the event log, so nobody is invited twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType
from conftest import BaseRules
from sqlalchemy import select

from bot.app.build import add_follow_invites
from bot.app.credentials import Credentials
from bot.app.roomsettings import room_settings
from bot.rules import Rulebook, load_rulebook
from bot.rules.reload import RulebookHolder
from bot.show.follow_invite import stored_history
from media.app import create_app
from media.config import ServerSettings
from media.hub import RoomEvent, RoomHub
from media.hub.clock import ManualClock
from media.hub.identity import ViewerIds
from media.rooms import RoomDirectory
from media.store.db import Database
from media.store.models import EventRow
from media.web.routes import setup_room

SECRET = "follow-restart-secret-0123456789"
CREDENTIALS = Credentials(SECRET, "publish-42", "team-pass-42", False, False)
TEXT = "点个关注吧"
AFTER = 60.0
START = 1_780_000_000.0


def follow_rules(base_rules: BaseRules) -> Rulebook:
    return load_rulebook(
        base_rules(append={"room.yaml": f"\nfollow_invite:\n  after: {int(AFTER)}s\n  text: {TEXT}\n"})
    )


@dataclass
class Viewer:
    ws: ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                body = json.loads(msg.data)
                self.received.extend(body if isinstance(body, list) else [body])

    def invitations(self) -> int:
        return sum(1 for m in self.received if m.get("type") == "notice" and m.get("text") == TEXT)

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not any(predicate(m) for m in self.received):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no matching message in {self.received[-10:]}")
            await asyncio.sleep(0.02)

    async def invited(self) -> None:
        await self.wait_for(lambda m: m.get("type") == "notice" and m.get("text") == TEXT)


@dataclass
class Server:
    """One server process's worth of the room: hub plus follow invitations, on a shared database."""

    client: Any
    hub: RoomHub
    room: str
    events: list[RoomEvent] = field(default_factory=list)

    async def viewer(self, token: str) -> Viewer:
        ws = await self.client.ws_connect(f"/ws/{self.room}", params={"token": token})
        viewer = Viewer(ws)
        viewer.task = asyncio.create_task(viewer._read())
        await viewer.wait_for(lambda m: m.get("type") == "welcome")
        return viewer

    async def logged(self, kind: str, viewer_id: str, within: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not any(e.kind == kind and e.viewer_id == viewer_id for e in self.events):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {kind} of {viewer_id} logged")
            await asyncio.sleep(0.02)


def server_factory(aiohttp_client: Any, database: Database, book: Rulebook) -> Callable[[ManualClock], Any]:
    @asynccontextmanager
    async def serve(clock: ManualClock) -> AsyncIterator[Server]:
        app = create_app(
            ServerSettings(secret=SECRET, signing_key=SECRET),
            RoomDirectory([room_settings(book, CREDENTIALS)]),
        )
        hub = setup_room(app, database, clock=clock)
        add_follow_invites(app, hub, RulebookHolder(book), tick_every=0.02)
        client = await aiohttp_client(app)
        server = Server(client, hub, book.room.id)
        hub.subscribe(server.events.append)
        try:
            yield server
        finally:
            await client.close()  # stops the hub: its writer drains, as on a clean shutdown

    return serve


async def invited_in_log(database: Database, room: str) -> list[str]:
    async with database.sessions() as s:
        rows = await s.scalars(
            select(EventRow.viewer_id).where(EventRow.room_id == room, EventRow.kind == "follow_invited")
        )
        return sorted(v for v in rows if v is not None)


async def settle_ticks() -> None:
    """Long enough for many follow-invite ticks (every 0.02 s) and their writes."""
    await asyncio.sleep(0.3)


async def test_restart_does_not_invite_again(
    tmp_path: Path, base_rules: BaseRules, aiohttp_client: Any, database: Database
) -> None:
    book = follow_rules(base_rules)
    room = book.room.id
    serve = server_factory(aiohttp_client, database, book)
    ids = ViewerIds(SECRET)
    invited_before, followed_before, newcomer = ids.issue(), ids.issue(), ids.issue()

    # First process: one viewer watches long enough and is invited; another follows before that.
    clock = ManualClock(START)
    async with serve(clock) as server:
        first = await server.viewer(invited_before.token)
        fan = await server.viewer(followed_before.token)
        await fan.ws.send_json({"type": "follow"})
        await server.logged("follow", followed_before.viewer_id)
        await settle_ticks()
        clock.advance(AFTER + 1)
        await first.invited()
        await settle_ticks()
        assert first.invitations() == 1
        assert fan.invitations() == 0  # already follows
        await first.ws.close()
        await fan.ws.close()

    assert await invited_in_log(database, room) == [invited_before.viewer_id]
    assert await stored_history(database, room) == (
        {invited_before.viewer_id},
        {followed_before.viewer_id},
    )

    # After a restart: a fresh feature on the same database, same show going on.
    clock = ManualClock(START + 600)
    async with serve(clock) as server:
        again = await server.viewer(invited_before.token)
        fan = await server.viewer(followed_before.token)
        new = await server.viewer(newcomer.token)
        clock.advance(AFTER + 1)
        await new.invited()  # the never-invited viewer still is
        await settle_ticks()
        assert new.invitations() == 1
        assert again.invitations() == 0  # invited before the restart: not again
        assert fan.invitations() == 0  # followed before the restart: never
        for viewer in (again, fan, new):
            await viewer.ws.close()

    assert await invited_in_log(database, room) == sorted([invited_before.viewer_id, newcomer.viewer_id])
