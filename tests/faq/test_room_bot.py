"""The FAQ bot in a running server: real sockets against `build_app` with the demo rules."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import CREDENTIALS, FAQ_BOT, RunOptions, build_app
from bot.faq.room import FaqBot
from bot.rules import load_rulebook
from media.app import HUB
from media.config import ServerSettings
from media.store.models import EventRow

RULES = Path(__file__).resolve().parents[2] / "rules"


class Sock:
    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                self.received.extend(data if isinstance(data, list) else [data])

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    async def chat(self, text: str) -> int:
        """Send a chat line; its message id once the room echoes it back."""
        seen = len(self.received)
        await self.send({"type": "chat", "text": text})
        echo = await self.wait_for(lambda m: m.get("type") == "chat" and m.get("text") == text, after=seen)
        return int(echo["id"])

    def bot_lines(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == "chat" and m.get("role") == "bot"]

    async def wait_for(self, predicate: Any, within: float = 5.0, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            for m in self.received[after:]:
                if predicate(m):
                    return m
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching message in {self.received[-8:]}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


async def eventually(predicate: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def viewer(client: TestClient[Any, Any], nick: str) -> Sock:
    token = client.app[HUB].ids.ensure(None).token
    sock = Sock(await client.ws_connect("/ws/demo", params={"token": token, "nick": nick}))
    await sock.wait_for(lambda m: m.get("type") == "welcome")
    return sock


async def team(client: TestClient[Any, Any]) -> Sock:
    password = client.app[CREDENTIALS].team_password
    resp = await client.post("/studio/demo/login", data={"password": password}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get("/studio/demo")).text()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    sock = Sock(await client.ws_connect("/ws/demo", params={"role": "team", "csrf": csrf}))
    await sock.wait_for(lambda m: m.get("type") == "welcome")
    return sock


@pytest.fixture
async def client(
    local_settings: ServerSettings, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> TestClient[Any, Any]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the offline answerer
    app = build_app(load_rulebook(RULES), local_settings, RunOptions(reload_interval=5.0))
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    test_client.app[FAQ_BOT].responder.gather = 0.5  # group askers for half a second, not 1.5
    return test_client


async def faq_decisions(client: TestClient[Any, Any]) -> list[EventRow]:
    async with client.app[HUB].db.sessions() as s:
        rows = await s.scalars(select(EventRow).where(EventRow.kind == "faq_decision").order_by(EventRow.id))
        return list(rows.all())


async def test_bot_answers_groups_escalates_and_pauses(client: TestClient[Any, Any]) -> None:
    hub = client.app[HUB]
    viewers = [await viewer(client, f"观众{n}") for n in range(1, 6)]

    # Five viewers asking the same thing get one reply naming them all, within 2 s.
    started = time.monotonic()
    asks = ["多久发货", "什么时候发货啊", "发货快不", "多久發貨", "when ship?"]
    ids = [await v.chat(text) for v, text in zip(viewers, asks, strict=True)]
    reply = await viewers[0].wait_for(lambda m: m.get("type") == "chat" and m.get("role") == "bot")
    assert time.monotonic() - started < 2.0
    assert all(f"@观众{n}" in reply["text"] for n in range(1, 6))
    assert "48 小时" in reply["text"]
    assert reply["reply_to"] == ids[0]
    await viewers[4].wait_for(lambda m: m.get("id") == reply["id"])  # everyone sees it
    # …and asking again within the window is not answered again.
    await viewers[1].chat("多久发货呀")
    await asyncio.sleep(0.8)
    assert len(viewers[0].bot_lines()) == 1

    # Team lines are never answered.
    studio = await team(client)
    team_line = await studio.chat("这件羽绒服可以机洗吗？")
    await studio.send({"type": "say", "text": "包邮吗？"})
    await asyncio.sleep(0.8)
    assert len(viewers[0].bot_lines()) == 1

    # A question the FAQ cannot answer waits in the studio; the team's answer reaches the viewer.
    boss = await viewers[1].chat("你们老板是谁？")
    await eventually(lambda: any(q.message_id == boss for q in hub.waiting_questions("demo")))
    await studio.wait_for(lambda m: m.get("type") == "question" and m.get("message_id") == boss)
    await studio.send({"type": "answer_question", "message_id": boss, "text": "@观众2 老板就是主播本人"})
    answer = await viewers[1].wait_for(lambda m: m.get("type") == "chat" and m.get("reply_to") == boss)
    assert answer["role"] == "team" and "老板就是主播本人" in answer["text"]
    await eventually(lambda: all(q.message_id != boss for q in hub.waiting_questions("demo")))

    # Paused, the bot answers nobody (the question goes to the studio); resumed, it answers again.
    assert (await client.post("/api/faq/demo/pause")).status == 403
    password = client.app[CREDENTIALS].team_password
    headers = {"Authorization": f"Bearer {password}"}
    body = await (await client.post("/api/faq/demo/pause", headers=headers)).json()
    assert body == {"ok": True, "paused": True}
    wash = await viewers[2].chat("这件羽绒服可以机洗吗？")
    await eventually(lambda: any(q.message_id == wash for q in hub.waiting_questions("demo")))
    await asyncio.sleep(0.8)
    assert len(viewers[2].bot_lines()) == 1
    body = await (await client.post("/api/faq/demo/resume", headers=headers)).json()
    assert body == {"ok": True, "paused": False}
    started = time.monotonic()
    again = await viewers[3].chat("羽绒服能机洗吗")
    washed = await viewers[3].wait_for(
        lambda m: m.get("type") == "chat" and m.get("role") == "bot" and m.get("reply_to") == again
    )
    assert time.monotonic() - started < 2.0
    assert washed["text"].startswith("@观众4 ") and "机洗" in washed["text"]

    # Every decision is in the event log.
    await eventually(lambda: len(viewers[3].bot_lines()) == 2)
    await asyncio.sleep(0.3)  # the decision rows follow the reply
    rows = await faq_decisions(client)
    by_message = {row.data["message_id"]: row for row in rows}
    for message_id in ids:
        row = by_message[message_id]
        assert row.data["decision"] == "answered" and row.data["faq_id"] == "ship-time"
        assert row.data["reply_message_id"] == reply["id"]
    assert team_line not in by_message  # the team was not answered, nor even considered
    assert by_message[boss].data["decision"] == "escalated"
    # Paused, the bot still proposes the answer it would have given: one tap for the team.
    assert by_message[wash].data["decision"] == "suggested" and by_message[wash].data["reason"] == "paused"
    assert by_message[wash].data["proposed"] == by_message[wash].data["faq_id"]
    assert by_message[again].data["decision"] == "answered"
    assert {row.viewer_id for row in rows} >= {by_message[i].viewer_id for i in ids}
    assert len(rows) == len(by_message) == 9  # 5 answered, 1 answered recently, boss, wash, again

    for sock in [*viewers, studio]:
        await sock.close()


def test_reload_swaps_the_answerer_and_keeps_pause_and_grouping() -> None:
    book = load_rulebook(RULES)
    bot = FaqBot(None, book, gather=0.5)  # type: ignore[arg-type]  # the hub is not used here
    bot.pause()
    entries = tuple(
        e.model_copy(update={"a": "今天下单，明天就发货。"}) if e.id == "ship-time" else e for e in book.faq
    )
    bot.on_reload(dataclasses.replace(book, faq=entries))
    assert bot.paused and bot.responder.gather == 0.5
    assert bot.responder.answerer.answer("多久发货").text == "今天下单，明天就发货。"
