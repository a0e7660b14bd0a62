"""Over a thousand random and malformed frames at the socket: the room stays up, others keep
receiving, and the event log stays whole."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from media.app import create_app
from media.config import Moderation, ServerSettings
from media.hub.hub import RoomHub
from media.rooms import RoomDirectory
from media.store.db import Database
from media.store.models import ChatMessage, EventRow
from media.web.routes import setup_room

from .harness import SECRET, demo_room

T = TypeVar("T")
TYPES = ["chat", "like", "gift", "vote", "enter_lottery", "claim_coupon", "click_product", "follow", "say", "mute",
         "pin_product", "delete_message", "open_vote", "nope", "", "__proto__"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
frame = st.one_of(
    st.text(max_size=200),  # not JSON, mostly
    st.binary(max_size=100),  # binary frames
    st.builds(lambda n: "x" * n, st.integers(4000, 20_000)),  # oversized
    json_values.map(json.dumps),  # JSON that is not a message
    st.builds(
        lambda kind, extra: json.dumps({"type": kind, **extra}),
        st.sampled_from(TYPES),
        st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "count",
                    "gift_id",
                    "vote_id",
                    "option",
                    "sku",
                    "coupon_id",
                    "viewer_id",
                    "message_id",
                    "x",
                ]
            ),
            json_values,
            max_size=3,
        ),
    ),
    st.builds(lambda s: json.dumps({"type": "chat", "text": s}), st.text(min_size=1, max_size=300)),
)


@dataclass
class Env:
    runner: web.AppRunner
    hub: RoomHub
    db: Database
    base: str
    session: aiohttp.ClientSession
    fuzzer: aiohttp.ClientWebSocketResponse | None = None
    observer: aiohttp.ClientWebSocketResponse | None = None
    speaker: aiohttp.ClientWebSocketResponse | None = None
    observed: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[str] = field(default_factory=list)
    thrown: int = 0
    reconnects: int = 0
    reader: asyncio.Task[None] | None = None

    async def connect(self) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(self.base + "/ws/demo")

    async def read_observer(self) -> None:
        assert self.observer is not None
        async for msg in self.observer:
            data = json.loads(msg.data)
            self.observed.extend(data if isinstance(data, list) else [data])

    async def throw(self, frames: list[str | bytes]) -> None:
        for f in frames:
            if self.fuzzer is None or self.fuzzer.closed:
                self.fuzzer = await self.connect()  # closed for abuse (1008): come back, as attackers do
                self.reconnects += 1
            try:
                if isinstance(f, bytes):
                    await self.fuzzer.send_bytes(f)
                else:
                    await self.fuzzer.send_str(f)
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                self.fuzzer = None
                continue
            self.thrown += 1
            while not self.fuzzer.closed:  # drain replies so the socket's buffers never fill
                try:
                    await self.fuzzer.receive(timeout=0.0005)
                except TimeoutError:
                    break
        # A well-behaved viewer speaks after every batch; the observer must hear each line.
        text = f"心跳{len(self.heartbeats)}"
        self.heartbeats.append(text)
        assert self.speaker is not None
        await self.speaker.send_str(json.dumps({"type": "chat", "text": text}))


async def start(tmp_path: Path) -> Env:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}")
    await db.migrate()
    room = demo_room(
        moderation=Moderation(blocked_words=("微信",), rate_messages=100_000, rate_per_seconds=1)
    )
    app = create_app(ServerSettings(secret=SECRET), RoomDirectory([room]))
    hub = setup_room(app, db)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = Env(runner, hub, db, f"http://127.0.0.1:{port}", aiohttp.ClientSession())
    env.observer, env.speaker = await env.connect(), await env.connect()
    env.reader = asyncio.create_task(env.read_observer())
    return env


async def finish(env: Env) -> None:
    # Everyone must still be served: a new viewer joins, the heartbeats all arrived.
    async with env.session.get(env.base + "/healthz") as resp:
        assert resp.status == 200
    late = await env.connect()
    welcome = json.loads((await late.receive(timeout=5)).data)
    assert welcome["type"] == "welcome"
    await late.close()
    for _ in range(100):
        heard = [m["text"] for m in env.observed if m.get("type") == "chat" and m["text"].startswith("心跳")]
        if len(heard) == len(env.heartbeats):
            break
        await asyncio.sleep(0.05)
    assert heard == env.heartbeats
    assert not [m for m in env.observed if m.get("type") == "error"]  # errors went to the fuzzer only
    for ws in (env.fuzzer, env.observer, env.speaker):
        if ws is not None:
            await ws.close()
    assert env.reader is not None
    await env.reader
    await env.session.close()
    await env.runner.cleanup()
    # The log is whole: every chat event has its chat row with the same text, every line the
    # observer saw is in the log under its id, and every join has its leave.
    async with env.db.sessions() as s:
        events = (await s.scalars(select(EventRow).order_by(EventRow.id))).all()
        rows = {r.id: r for r in (await s.scalars(select(ChatMessage))).all()}
    chats = [e for e in events if e.kind == "chat"]
    assert len(chats) == len(rows)
    for e in chats:
        assert isinstance(e.data, dict) and rows[e.data["message_id"]].text == e.data["text"]
    for m in env.observed:
        if m.get("type") == "chat":
            assert rows[m["id"]].text == m["text"]
    joined = sorted(e.data["connection_id"] for e in events if e.kind == "viewer_joined")
    left = sorted(e.data["connection_id"] for e in events if e.kind == "viewer_left")
    assert (
        joined == left and len(joined) == 3 + env.reconnects
    )  # observer, speaker, late joiner, fuzzer sockets
    await env.db.close()


def test_random_frames_never_disturb_the_room(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(120)

    env = run(start(tmp_path))
    try:

        @settings(max_examples=45, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(frame, min_size=20, max_size=40))
        def throw(frames: list[str | bytes]) -> None:
            run(env.throw(frames))

        throw()
        assert env.thrown >= 1000, env.thrown
        run(finish(env))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
