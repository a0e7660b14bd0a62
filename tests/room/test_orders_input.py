"""Issue 19 row 12: signed orders with bad numbers, bad JSON, bad bytes or an unknown sku are a clear 4xx
in the one JSON shape and store nothing; orders already stored with huge quantities (before the webhook
bounded them) do not break the next order of the product. On both databases.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from media.store.models import EventRow, Order
from media.web.orders import SIGNATURE_HEADER, sign

from .harness import SECRET, MakeRoomApp, RoomApp

ORDER = {"order_id": "o-1", "room": "demo", "sku": "tea-01", "quantity": 1, "amount": "159.00"}


async def _post(app: RoomApp, body: bytes) -> tuple[int, dict[str, Any]]:
    response = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    return response.status, await response.json()


def _order(**changes: Any) -> bytes:
    return json.dumps({**ORDER, **changes}).encode()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_bad_orders_are_refused_and_old_huge_orders_do_not_break_new_ones(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make_room_app(kind=kind)
    refused: list[tuple[bytes, int, str]] = [
        (b"{", 400, "invalid"),
        (b"\xff\xfe{\x00}", 400, "invalid"),
        (b'{"order_id": "o-\xff", "room": "demo", "sku": "tea-01", "amount": "1"}', 400, "invalid"),
        (b"[1, 2]", 400, "invalid"),
        (_order(amount="-1"), 400, "invalid"),
        (_order(amount="NaN"), 400, "invalid"),
        (_order(amount="1e400"), 400, "invalid"),
        (_order(amount=1e400), 400, "invalid"),
        (_order(amount="12345678901234.00"), 400, "invalid"),
        (_order(quantity=2**63), 400, "invalid"),
        (_order(quantity=2**62), 400, "invalid"),
        (_order(quantity=0), 400, "invalid"),
        (_order(quantity="many"), 400, "invalid"),
        (_order(order_id="o-\x00-1"), 400, "invalid"),
        (_order(viewer_id="v\x00"), 400, "invalid"),
        (_order(sku="no-such-sku"), 400, "unknown_product"),
        (_order(sku="tea-01\x00"), 400, "invalid"),
        (_order(room="elsewhere"), 404, "unknown_room"),
    ]
    for body, status, code in refused:
        got, answer = await _post(app, body)
        assert (got, answer.get("error")) == (status, code), (body, got, answer)
        assert set(answer) == {"error", "message"} and answer["message"], answer
    async with app.db.sessions() as s:
        assert (await s.scalars(select(Order))).all() == []
        assert (await s.scalars(select(EventRow).where(EventRow.kind == "order"))).all() == []

    # What the old code let in: two orders of one product whose quantities sum past a 64-bit integer
    # (PostgreSQL's integer column holds up to 2^31 - 1, so there the two sum past 32 bits).
    huge = 2**62 if kind == "sqlite" else 2**31 - 1
    async with app.db.sessions() as s, s.begin():
        for n in (1, 2):
            s.add(
                Order(
                    order_id=f"old-{n}",
                    room_id="demo",
                    sku="tea-01",
                    quantity=huge,
                    amount=Decimal("1.00"),
                    ts=datetime.now(UTC),
                )
            )
    status, answer = await _post(app, _order(order_id="o-2", quantity=3))
    assert status == 201 and answer == {"status": "recorded", "order_id": "o-2"}
    status, answer = await _post(app, _order(order_id="o-2", quantity=3))
    assert status == 200 and answer["status"] == "duplicate"
    async with app.db.sessions() as s:
        out = (await s.scalars(select(EventRow).where(EventRow.kind == "product_out_of_stock"))).all()
    assert [e.data["sku"] for e in out] == ["tea-01"]  # stock 80: the old orders count, capped, once
