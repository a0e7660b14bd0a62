"""Orders reaching a product's stock: one `product_out_of_stock {sku, stock, sold}` per sku per run,
and the product card viewers see saying 已售罄 (`product_sold_out`, `sold_out` on the card).

"Sold" is summed from the stored orders, so retries, restarts and racing orders cannot
make it twice; each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from media.config import ProductCard
from media.hub import RoomEvent
from media.store.models import EventRow, StockOut
from media.store.orders import record_order
from media.web.orders import SIGNATURE_HEADER, sign

from .harness import SECRET, MakeRoomApp, RoomApp, Socket, demo_room

KINDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]

# tea-01 has 3 units for the show; cup-02 has no stock set.
PRODUCTS = (
    ProductCard("tea-01", "明前龙井 250g", 199.0, "https://shop.example.com/p/tea-01", stock=3),
    ProductCard("cup-02", "青瓷茶杯", 59.0, "https://shop.example.com/p/cup-02"),
)


async def make(make_room_app: MakeRoomApp, kind: str, **options: Any) -> RoomApp:
    return await make_room_app(kind=kind, room=demo_room(products=PRODUCTS), **options)


async def order(app: RoomApp, order_id: str, sku: str = "tea-01", quantity: int = 1) -> str:
    body = json.dumps(
        {"order_id": order_id, "room": "demo", "sku": sku, "quantity": quantity, "amount": "159.00"}
    ).encode()
    resp = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert resp.status in (200, 201), await resp.text()
    return str((await resp.json())["status"])


async def stock_outs(app: RoomApp) -> list[tuple[int | None, dict[str, Any]]]:
    async with app.db.sessions() as s:
        rows = await s.scalars(
            select(EventRow).where(EventRow.kind == "product_out_of_stock").order_by(EventRow.id)
        )
        return [(e.run_id, e.data) for e in rows]


def heard(app: RoomApp) -> list[RoomEvent]:
    seen: list[RoomEvent] = []
    app.hub.subscribe(lambda e: seen.append(e) if e.kind == "product_out_of_stock" else None)
    return seen


@pytest.mark.parametrize("kind", KINDS)
async def test_orders_up_to_the_stock_log_one_out_of_stock(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make(make_room_app, kind)
    seen = heard(app)
    assert await order(app, "o-1") == "recorded"
    assert await order(app, "o-2") == "recorded"
    assert await stock_outs(app) == []
    assert await order(app, "o-3") == "recorded"  # 3 of 3: sold out
    assert await stock_outs(app) == [(None, {"sku": "tea-01", "stock": 3, "sold": 3})]
    assert await order(app, "o-4", quantity=2) == "recorded"  # still sold out: no second event
    assert await stock_outs(app) == [(None, {"sku": "tea-01", "stock": 3, "sold": 3})]
    # Subscribers (contingency plans, alerts) hear it once, after the order that did it.
    assert [(e.data, e.run_id, e.viewer_id) for e in seen] == [
        ({"sku": "tea-01", "stock": 3, "sold": 3}, None, None)
    ]
    async with app.db.sessions() as s:
        kinds = list(await s.scalars(select(EventRow.kind).order_by(EventRow.id)))
    assert [k for k in kinds if k in ("order", "product_out_of_stock")] == [
        "order",
        "order",
        "order",
        "product_out_of_stock",
        "order",
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_one_order_past_the_stock_counts_its_quantity(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make(make_room_app, kind)
    await order(app, "o-1", quantity=5)
    assert await stock_outs(app) == [(None, {"sku": "tea-01", "stock": 3, "sold": 5})]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_repeated_order_id_does_not_count(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make(make_room_app, kind)
    assert await order(app, "o-1", quantity=2) == "recorded"
    assert await order(app, "o-1", quantity=2) == "duplicate"
    assert await order(app, "o-1", quantity=2) == "duplicate"
    assert await stock_outs(app) == []  # 2 of 3, however often the shop retries
    assert await order(app, "o-2") == "recorded"
    assert await stock_outs(app) == [(None, {"sku": "tea-01", "stock": 3, "sold": 3})]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_product_without_stock_never_runs_out(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make(make_room_app, kind)
    seen = heard(app)
    for i in range(3):
        await order(app, f"o-{i}", sku="cup-02", quantity=1000)
    assert await stock_outs(app) == [] and seen == []
    # A sku the room does not sell is refused (issue 19): nothing to count it against.
    body = json.dumps({"order_id": "o-x", "room": "demo", "sku": "not-in-the-rules", "amount": "1"}).encode()
    resp = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert resp.status == 400 and (await resp.json())["error"] == "unknown_product"


@pytest.mark.parametrize("kind", KINDS)
async def test_after_a_restart_no_second_event_in_the_same_run(
    make_room_app: MakeRoomApp, make_database_url: Any, kind: str
) -> None:
    url = await make_database_url(kind)
    first = await make(make_room_app, kind, url=url)
    await first.hub.set_run("demo", 7)
    await order(first, "o-1", quantity=2)
    await order(first, "o-2")
    assert await stock_outs(first) == [(7, {"sku": "tea-01", "stock": 3, "sold": 3})]
    await first.client.close()

    second = await make(make_room_app, kind, url=url)  # a new hub on the same database
    seen = heard(second)
    await order(second, "o-3")
    assert (await second.hub.room("demo")).state.run_id == 7  # the run carried over
    await order(second, "o-1", quantity=2)  # a late retry of a first-run order
    assert await stock_outs(second) == [(7, {"sku": "tea-01", "stock": 3, "sold": 3})] and seen == []

    # The next run starts from nothing: its own orders run out once more.
    await second.hub.set_run("demo", 8)
    await order(second, "o-4", quantity=2)
    assert len(await stock_outs(second)) == 1
    await order(second, "o-5")
    assert await stock_outs(second) == [
        (7, {"sku": "tea-01", "stock": 3, "sold": 3}),
        (8, {"sku": "tea-01", "stock": 3, "sold": 3}),
    ]
    assert [e.run_id for e in seen] == [8]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_retry_finishes_a_check_the_first_delivery_missed(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make(make_room_app, kind)
    await order(app, "o-1", quantity=2)
    # The order that sells out was stored, then the process stopped before the stock check.
    async with app.db.sessions() as s, s.begin():
        await record_order(s, "o-2", "demo", "tea-01", 1, Decimal("159.00"))
    assert await stock_outs(app) == []
    assert await order(app, "o-2") == "duplicate"  # the shop did not hear back, so it retries
    assert await stock_outs(app) == [(None, {"sku": "tea-01", "stock": 3, "sold": 3})]


@pytest.mark.parametrize("kind", KINDS)
async def test_racing_orders_for_the_last_units_log_one_event(make_room_app: MakeRoomApp, kind: str) -> None:
    app = await make(make_room_app, kind)
    statuses = await asyncio.gather(*(order(app, f"o-{i}") for i in range(12)))
    assert statuses == ["recorded"] * 12
    [(run_id, data)] = await stock_outs(app)
    assert run_id is None and data["sku"] == "tea-01" and data["stock"] == 3 and 3 <= data["sold"] <= 12
    async with app.db.sessions() as s:
        marks = list(await s.scalars(select(StockOut)))
    assert [(m.room_id, m.run_key, m.sku, m.sold) for m in marks] == [("demo", 0, "tea-01", data["sold"])]


def pinned_card(socket: Socket) -> dict[str, Any]:
    """The product card in the socket's welcome (what a late joiner sees)."""
    card: dict[str, Any] = socket.of("welcome")[0]["snapshot"]["pinned"]["product"]
    return card


@pytest.mark.parametrize("kind", KINDS)
async def test_the_pinned_card_sells_out_live_and_for_late_joiners(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make(make_room_app, kind)
    await app.hub.set_run("demo", 7)
    await app.hub.pin_product("demo", "tea-01")
    viewer, team = await app.viewer(), await app.team()
    assert pinned_card(viewer)["sold_out"] is False
    await order(app, "o-1", quantity=2)
    await order(app, "o-2")  # 3 of 3
    sold = await viewer.wait_for(lambda m: m["type"] == "product_sold_out")
    assert sold == {"type": "product_sold_out", "sku": "tea-01"}  # the run id is for the team only
    assert (await team.wait_for(lambda m: m["type"] == "product_sold_out"))["run_id"] == 7

    late = await app.viewer()
    assert pinned_card(late)["sku"] == "tea-01" and pinned_card(late)["sold_out"] is True

    # More orders say nothing more; pinned again later in the run, the card is still sold out.
    await order(app, "o-3")
    await app.hub.pin_product("demo", "cup-02")
    await app.hub.pin_product("demo", "tea-01")
    await app.hub.pin_product("demo", None)
    await viewer.wait_for(lambda m: m == {"type": "pin_product"})  # unpinned
    after = viewer.received[viewer.received.index(sold) + 1 :]
    pins = [(m["product"]["sku"], m["product"]["sold_out"]) for m in after if m.get("product")]
    assert pins == [("cup-02", False), ("tea-01", True)]
    assert [m for m in after if m["type"] == "product_sold_out"] == []


@pytest.mark.parametrize("kind", KINDS)
async def test_a_restart_keeps_the_card_sold_out_and_the_next_run_can_sell_again(
    make_room_app: MakeRoomApp, make_database_url: Any, kind: str
) -> None:
    url = await make_database_url(kind)
    first = await make(make_room_app, kind, url=url)
    await first.hub.set_run("demo", 7)
    await first.hub.pin_product("demo", "tea-01")
    await order(first, "o-1", quantity=3)
    await first.client.close()

    second = await make(make_room_app, kind, url=url)  # a new hub on the same database
    viewer = await second.viewer()
    assert pinned_card(viewer)["sold_out"] is True
    # The show runner adopts its run again after the restart: nothing changes for the viewer.
    await second.hub.set_run("demo", 7)
    # The next run has stock again: the pinned card comes back buyable, without a reload.
    await second.hub.set_run("demo", 8)
    again = await viewer.wait_for(lambda m: m["type"] == "pin_product")
    assert again["product"]["sku"] == "tea-01" and again["product"]["sold_out"] is False
    assert viewer.of("product_sold_out") == []
    assert pinned_card(await second.viewer())["sold_out"] is False

    # Stock-outs are read back per run whenever the run changes, not only at start-up.
    await second.hub.set_run("demo", 7)
    assert (await viewer.wait_for(lambda m: m["type"] == "product_sold_out"))["sku"] == "tea-01"
    assert pinned_card(await second.viewer())["sold_out"] is True
