"""The same room on PostgreSQL: chat ids from a batched insert, claims, ballots, entries and a draw."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from media.store.models import EventRow

from .harness import MakeRoomApp

pytestmark = pytest.mark.postgres


async def test_room_on_postgresql(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app(kind="postgresql")
    a, b = await app.viewer(), await app.viewer()
    for i in range(4):
        await a.send({"type": "chat", "text": f"第{i}条"})
    await b.wait_for(lambda m: m["type"] == "chat" and m["text"] == "第3条")
    ids = [m["id"] for m in b.of("chat")]
    assert ids == sorted(ids) and [m["text"] for m in b.of("chat")] == [f"第{i}条" for i in range(4)]
    await app.hub.push_coupon(
        "demo", {"id": "c1", "title": "券", "link": "https://shop.example.com/c", "quantity": 1}
    )
    await app.hub.open_vote("demo", "v1", "哪个", ["甲", "乙"], 60)
    await app.hub.open_lottery("demo", "l1", "奖品", 1, "口令", 60, {"require": ["claimed_coupon"]})
    await a.send({"type": "claim_coupon", "coupon_id": "c1"})
    await b.send({"type": "claim_coupon", "coupon_id": "c1"})
    assert (await a.wait_for(lambda m: m["type"] == "coupon_claim"))["ok"]
    assert (await b.wait_for(lambda m: m["type"] == "coupon_claim"))["reason"] == "sold_out"
    await a.send({"type": "vote", "vote_id": "v1", "option": 0})
    assert (await a.wait_for(lambda m: m["type"] == "vote_ack"))["ok"]
    for v in (a, b):
        await v.send({"type": "chat", "text": "口令"})
        await v.wait_for(lambda m: m["type"] == "lottery_entered")
    result = await app.hub.draw_lottery("demo", "l1")
    assert result.entrants == 2 and result.eligible == 1  # only a claimed the coupon
    assert [w.viewer_id for w in result.winners] == [a.of("welcome")[0]["viewer_id"]]
    async with app.db.sessions() as s:
        kinds = (await s.scalars(select(EventRow.kind))).all()
    assert (
        kinds.count("chat") == 6 and kinds.count("coupon_claimed") == 1 and kinds.count("lottery_drawn") == 1
    )
