"""The WebSocket audience driver: the same seed sends the same messages, and a plan played against a real
server arrives as viewers' chat, likes and a second tab, each viewer with its own signed id."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import build_app
from bot.rules import Rulebook, load_rulebook
from bot.sim.driver import AudienceDriver, nickname, planned_messages
from bot.sim.simulate import OFF_FAQ_QUESTIONS, Step, plan_audience
from media.config import ServerSettings

ROOT = Path(__file__).resolve().parent.parent.parent
VIEWER_TYPES = {"chat", "like", "gift", "vote", "enter_lottery", "claim_coupon", "click_product", "follow"}


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return load_rulebook(ROOT / "rules")


def test_same_seed_same_messages(rulebook: Rulebook) -> None:
    one = planned_messages(plan_audience(rulebook, "demo", 30, 7))
    two = planned_messages(plan_audience(rulebook, "demo", 30, 7))
    other = planned_messages(plan_audience(rulebook, "demo", 30, 8))
    assert one == two
    assert one != other
    assert [p.at for p in one] == sorted(p.at for p in one)
    kinds = {p.kind for p in one}
    assert kinds == {"open", "send", "close"}
    sent = [p.message for p in one if p.message is not None]
    assert {m["type"] for m in sent} <= VIEWER_TYPES
    assert {"chat", "like", "claim_coupon", "vote"} <= {m["type"] for m in sent}
    texts = {m["text"] for m in sent if m["type"] == "chat"}
    faq = {q for entry in rulebook.faq for q in entry.q}
    assert texts & faq, "FAQ questions the bot can answer"
    assert texts & set(OFF_FAQ_QUESTIONS), "questions it must hand over"
    # every socket opens before it sends
    opened: set[tuple[str, str]] = set()
    for p in one:
        if p.kind == "open":
            opened.add((p.viewer, p.connection))
        else:
            assert (p.viewer, p.connection) in opened


def test_nickname() -> None:
    assert nickname("sim7-00012") == "模拟观众12"
    assert nickname("sim7-00000") == "模拟观众0"


@pytest.fixture
async def server(tmp_path: Path, rulebook: Rulebook) -> AsyncIterator[str]:
    settings = dataclasses.replace(
        ServerSettings.from_env(host="127.0.0.1", port=0),
        port=0,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/driver.db",
        data_dir=str(tmp_path),
    )
    app = build_app(rulebook, settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_drives_a_real_room(server: str) -> None:
    steps = [
        Step(0.0, "sim3-00001", "join", "c1"),
        Step(0.5, "sim3-00002", "join", "c1"),
        Step(1.0, "sim3-00001", "chat", "c1", {"text": "来了来了"}),
        Step(1.5, "sim3-00002", "like", "c1", {"count": 3}),
        Step(2.0, "sim3-00002", "join", "c2"),
        Step(2.5, "sim3-00002", "chat", "c2", {"text": "主播好"}),
        Step(3.0, "sim3-00002", "gift", "c1", {"gift_id": "no-such-gift"}),
        Step(3.0, "sim3-00001", "order", "", {"sku": "PAN-01"}),
        Step(3.5, "sim3-00002", "leave", "c2"),
        Step(4.0, "sim3-00001", "leave", "c1"),
    ]
    seen: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{server}/ws/demo") as observer:

        async def watch() -> None:
            async for frame in observer:
                data = json.loads(frame.data)
                seen.extend(data if isinstance(data, list) else [data])

        watcher = asyncio.create_task(watch())
        stats = await AudienceDriver(server, "demo", steps, speed=20.0, max_sockets=2).run()
        await asyncio.sleep(0.5)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    assert stats.opened == 3 and stats.closed == 3 and stats.failed == 0
    assert stats.sent == {"chat": 2, "like": 1}
    assert stats.skipped == 1  # the gift the room does not offer
    assert stats.received["welcome"] == 3
    assert not stats.errors
    lines = [
        (m["nickname"], m["text"]) for m in seen if m.get("type") == "chat" and m.get("role") == "viewer"
    ]
    assert ("模拟观众1", "来了来了") in lines
    assert ("模拟观众2", "主播好") in lines


async def test_stop_closes_every_socket(server: str) -> None:
    steps = [Step(0.0, f"sim1-{n:05d}", "join", "c1") for n in range(5)]
    steps.append(Step(3600.0, "sim1-00000", "chat", "c1", {"text": "too late"}))
    stop = asyncio.Event()
    driver = AudienceDriver(server, "demo", steps, speed=1.0)
    task = asyncio.create_task(driver.run(stop))
    for _ in range(100):
        if driver.stats.opened == 5:
            break
        await asyncio.sleep(0.05)
    stop.set()
    stats = await asyncio.wait_for(task, 10)
    assert stats.opened == 5 and stats.closed == 5
    assert not stats.sent
