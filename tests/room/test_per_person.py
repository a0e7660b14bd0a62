"""Issue 19 row 10: claims and entries per person, not per socket; clicks counted once per viewer and product
a minute; new viewer ids, claims and entries capped per address; the review says how many were refused.

The other client comes from 127.0.0.2 (Linux routes all of 127/8 to the loopback): the room sees a second
address, not exempt like this machine's own 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.review.kpi import compute
from bot.review.tables import build_tables
from media.hub.protocol import CouponSpec
from media.store.events import room_events
from media.store.models import EventRow

from .harness import MakeRoomApp, RoomApp

COUPON = CouponSpec(id="c1", title="满199减50", link="https://shop.example.com/c1", quantity=1000)


@pytest.fixture
async def other_client() -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose connections come from 127.0.0.2 and that keeps no cookies (a script)."""
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def _count(app: RoomApp, kind: str) -> int:
    async with app.db.sessions() as s:
        return int(
            await s.scalar(select(func.count()).select_from(EventRow).where(EventRow.kind == kind)) or 0
        )


async def _claim_and_enter(ws: aiohttp.ClientWebSocketResponse) -> dict[str, dict[str, Any]]:
    await ws.send_str(json.dumps({"type": "claim_coupon", "coupon_id": "c1"}))
    await ws.send_str(json.dumps({"type": "enter_lottery", "lottery_id": "l1"}))
    replies: dict[str, dict[str, Any]] = {}
    while len(replies) < 2:
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        data = json.loads(message.data)
        for m in data if isinstance(data, list) else [data]:
            if m["type"] in ("coupon_claim", "lottery_entered"):
                replies[m["type"]] = m
    return replies


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_claims_entries_and_clicks_are_per_person_and_capped_per_address(
    make_room_app: MakeRoomApp, kind: str, other_client: aiohttp.ClientSession
) -> None:
    app = await make_room_app(kind=kind)
    start = datetime.now(UTC)
    await app.hub.push_coupon("demo", COUPON)
    await app.hub.open_lottery("demo", "l1", "茶具一套", 3, None, 600, {})
    base = str(app.client.make_url("")).rstrip("/")
    ws_base = base.replace("http", "ws")

    # 40 sockets without a cookie (from this machine, which the per-address caps leave alone): each is
    # a new viewer id of its own, and none of them may claim or enter.
    for _ in range(40):
        async with app.client.session.ws_connect(f"{ws_base}/ws/demo") as ws:
            replies = await _claim_and_enter(ws)
            assert replies["coupon_claim"]["reason"] == "no_token", replies
            assert replies["lottery_entered"]["reason"] == "no_token", replies
    assert await _count(app, "coupon_claimed") == 0 and await _count(app, "lottery_entry") == 0
    await app.hub.open_vote("demo", "v1", "下一款看哪个", ["龙井", "茶杯"], 600)
    cookieless = await app.viewer(cookieless=True)
    await cookieless.send({"type": "vote", "vote_id": "v1", "option": 0})
    assert (await cookieless.wait_for(lambda m: m["type"] == "vote_ack"))["reason"] == "no_token"
    await cookieless.close()

    # Another address fetches the page for a cookie 40 times in a minute: 20 new viewers, then 429.
    tokens: list[str] = []
    statuses: list[int] = []
    for _ in range(40):
        async with other_client.get(f"{base}/room/demo") as page:
            statuses.append(page.status)
            if page.status == 200:
                tokens.append(page.cookies["lr_viewer"].value)
            else:
                assert page.headers["Retry-After"] == "60"
    assert statuses == [200] * 20 + [429] * 20
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # nor a new id from a cookieless socket
        await other_client.ws_connect(f"{ws_base}/ws/demo")
    assert refused.value.status == 429

    # Its 20 viewers: 10 claims of the coupon and 10 entries, then `limit`.
    outcomes: list[tuple[bool, bool]] = []
    for token in tokens:
        async with other_client.ws_connect(f"{ws_base}/ws/demo?token={token}") as ws:
            replies = await _claim_and_enter(ws)
            outcomes.append((replies["coupon_claim"]["ok"], replies["lottery_entered"]["ok"]))
            if not replies["coupon_claim"]["ok"]:
                assert replies["coupon_claim"]["reason"] == "limit"
                assert replies["lottery_entered"]["reason"] == "limit"
    assert outcomes == [(True, True)] * 10 + [(False, False)] * 10
    assert await _count(app, "coupon_claimed") == 10 and await _count(app, "lottery_entry") == 10
    # A viewer of this machine is not held back by the other address's cap.
    local = await app.viewer()
    await local.send({"type": "claim_coupon", "coupon_id": "c1"})
    assert (await local.wait_for(lambda m: m["type"] == "coupon_claim"))["ok"]

    # 500 clicks on the product link by one viewer, and 500 by a client without a cookie: one each.
    async def click(cookie: str | None) -> None:
        headers = {"Cookie": f"lr_viewer={cookie}"} if cookie else {}
        async with other_client.get(f"{base}/go/demo/tea-01", headers=headers, allow_redirects=False) as r:
            assert r.status == 302

    for _ in range(10):
        await asyncio.gather(*(click(tokens[0]) for _ in range(25)), *(click(None) for _ in range(25)))
    assert await _count(app, "click") == 2

    # The review of the room's log says what was refused (written when the hub stops, or each minute).
    await app.client.close()
    async with app.db.sessions() as s:
        events = await room_events(s, "demo")
    review = compute(events, start)
    refused = dict(review.refused)
    assert refused == {"new_viewers": 21, "claims": 50, "entries": 50, "votes": 1, "clicks": 498}, refused
    table = next(t for t in build_tables(review, "zh-CN") if t.name == "refused")
    assert [row[1] for row in table.rows] == [21, 50, 50, 1, 498]
    assert table.rows[0][0] == "新观众身份（同一网络一分钟内过多）"
