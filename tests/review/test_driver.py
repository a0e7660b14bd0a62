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
    assert kinds == {"open", "send", "close", "order"}
    sent = [p.message for p in one if p.message is not None and p.kind == "send"]
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
        elif p.kind == "order":
            assert p.connection == "" and any(viewer == p.viewer for viewer, _ in opened)
        else:
            assert (p.viewer, p.connection) in opened


def test_nickname() -> None:
    assert nickname("sim7-00012") == "模拟观众12"
    assert nickname("sim7-00000") == "模拟观众0"


@pytest.fixture
async def served(tmp_path: Path, rulebook: Rulebook) -> AsyncIterator[tuple[str, web.Application]]:
    """The demo rules' whole app on a real port: (base URL, app)."""
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
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


@pytest.fixture
def server(served: tuple[str, web.Application]) -> str:
    return served[0]


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


async def test_orders_reach_the_signed_webhook_as_the_viewers_who_bought(
    served: tuple[str, web.Application],
) -> None:
    """The driver plays the shop: each planned order is posted to POST /api/orders, signed, with the room's
    id of the viewer who bought; the coupon goes with it only when the room accepted that viewer's claim."""
    from sqlalchemy import select

    from bot.app import CREDENTIALS
    from media.app import HUB
    from media.store.models import EventRow
    from media.web.orders import SIGNATURE_HEADER, sign

    base, app = served
    hub = app[HUB]
    await hub.push_coupon(
        "demo",
        {
            "id": "newbie-5",
            "title": "新人无门槛5元",
            "link": "https://shop.example.com/c",
            "discount": "5",
        },
    )
    steps = [
        Step(0.0, "sim5-00001", "join", "c1"),
        Step(0.0, "sim5-00002", "join", "c1"),
        Step(0.5, "sim5-00001", "claim", "c1", {"coupon_id": "newbie-5"}),
        Step(1.0, "sim5-00001", "order", "", _order("o-1", "PAN-01", "154.00", coupon="newbie-5")),
        # claimed nothing: the shop would not honour the coupon, so it is left off
        Step(1.0, "sim5-00002", "order", "", _order("o-2", "KETTLE-02", "74.00", coupon="newbie-5")),
        Step(1.5, "sim5-00003", "order", "", _order("o-3", "PAN-01", "159.00")),  # never joined
        Step(2.0, "sim5-00001", "leave", "c1"),
        Step(2.0, "sim5-00002", "leave", "c1"),
    ]
    secret = app[CREDENTIALS].secret
    driver = AudienceDriver(
        base, "demo", steps, speed=4.0, sign_order=lambda body: {SIGNATURE_HEADER: sign(secret, body)}
    )
    stats = await driver.run()
    assert stats.orders == 2 and stats.orders_failed == 0
    async with hub.db.sessions() as s:
        rows = (
            await s.execute(
                select(EventRow.kind, EventRow.viewer_id, EventRow.data)
                .where(EventRow.kind.in_(("order", "coupon_used")))
                .order_by(EventRow.id)
            )
        ).all()
    buyer, other = driver.room_viewer_id("sim5-00001"), driver.room_viewer_id("sim5-00002")
    assert buyer and other and buyer.startswith("v") and buyer != other
    orders = {data["order_id"]: (viewer, data) for kind, viewer, data in rows if kind == "order"}
    assert orders["o-1"] == (
        buyer,
        {"order_id": "o-1", "sku": "PAN-01", "quantity": 1, "amount": "154.00", "coupon_id": "newbie-5"},
    )
    assert orders["o-2"][0] == other and "coupon_id" not in orders["o-2"][1]
    assert [(kind, viewer) for kind, viewer, _ in rows if kind == "coupon_used"] == [("coupon_used", buyer)]
    # the same plan played again with another tag: new orders, not replays the room ignores
    again = AudienceDriver(
        base,
        "demo",
        steps,
        speed=4.0,
        sign_order=lambda body: {SIGNATURE_HEADER: sign(secret, body)},
        order_tag="run2",
    )
    assert (await again.run()).orders == 2
    async with hub.db.sessions() as s:
        ids = await s.scalars(select(EventRow.data).where(EventRow.kind == "order"))
        assert sorted(d["order_id"] for d in ids) == ["o-1", "o-1-run2", "o-2", "o-2-run2"]
    # without a signer the driver leaves the shop's orders out
    quiet = AudienceDriver(base, "demo", steps[:2] + steps[3:4], speed=4.0)
    assert (await quiet.run()).orders == 0


def _order(order_id: str, sku: str, amount: str, coupon: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"order_id": order_id, "sku": sku, "quantity": 1, "amount": amount}
    if coupon:
        data["coupon_id"] = coupon
    return data
