"""A running room (build_app) sells a product out through the orders webhook: its plan fires, once."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient
from conftest import BaseRules, until

from bot.app import ALERTS, CONTINGENCY, SHOW_RUNNER, RunOptions, build_app
from bot.rules import load_rulebook
from media.app import HUB, SETTINGS
from media.hub import RoomEvent
from media.web.orders import SIGNATURE_HEADER, sign

PLANS = """\
- id: pan-gone
  title: 炒锅售罄
  when:
    product_out_of_stock:
      product: PAN-01
  do:
    - say: 炒锅已经卖光啦，马上上下一款～
  cooldown: 0s
- id: tea-gone
  when:
    product_out_of_stock:
      product: TEA-05
  do:
    - say: 红茶卖光了
  cooldown: 0s
"""


async def test_orders_reaching_the_stock_fire_the_out_of_stock_plan_once(
    base_rules: BaseRules, local_settings, aiohttp_client
) -> None:  # type: ignore[no-untyped-def]
    rules = base_rules(  # PAN-01 sells out after 2; TEA-05 has no stock
        write={"contingency.yaml": PLANS}, replace={"products.yaml": ("stock: 100", "stock: 2")}
    )
    app = build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=60))
    client: TestClient = await aiohttp_client(app)
    hub, runner, edge = app[HUB], app[SHOW_RUNNER], app[CONTINGENCY]
    room_id, secret = edge.room_id, app[SETTINGS].secret
    seen: list[RoomEvent] = []
    hub.subscribe(seen.append)

    def fired(plan_id: str) -> list[RoomEvent]:
        return [e for e in seen if e.kind == "contingency_fired" and e.data["plan_id"] == plan_id]

    def said(text: str) -> int:
        return sum(1 for e in seen if e.kind == "chat" and e.data.get("text") == text)

    async def order(order_id: str, sku: str, quantity: int = 1) -> int:
        body = json.dumps(
            {"order_id": order_id, "room": room_id, "sku": sku, "quantity": quantity, "amount": "159.00"}
        ).encode()
        resp = await client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(secret, body)})
        return resp.status

    await runner.start("s")
    assert runner.active is not None
    run_id = runner.active.row.id

    assert await order("o-1", "PAN-01") == 201
    assert await order("o-1", "PAN-01") == 200  # a retry: still 1 of 2
    assert await order("o-t", "TEA-05", quantity=500) == 201  # no stock set: never out
    await asyncio.sleep(0.3)
    assert [e for e in seen if e.kind == "product_out_of_stock"] == [] and fired("pan-gone") == []

    assert await order("o-2", "PAN-01") == 201  # 2 of 2
    assert await order("o-3", "PAN-01") == 201  # past it: no second stock-out
    await until(lambda: len(fired("pan-gone")) == 1, within=5)
    await asyncio.sleep(0.3)
    [out] = [e for e in seen if e.kind == "product_out_of_stock"]
    assert out.data == {"sku": "PAN-01", "stock": 2, "sold": 2} and out.run_id == run_id
    [firing] = fired("pan-gone")
    assert firing.data["condition"] == "product_out_of_stock" and firing.data["sku"] == "PAN-01"
    assert firing.data["done"] == ["say"] and firing.data["failed"] == []
    assert said("炒锅已经卖光啦，马上上下一款～") == 1
    assert fired("tea-gone") == [] and said("红茶卖光了") == 0
    # The team chat hears of it by name (the product_out_of_stock alert rule), through the outbox.
    for _ in range(40):
        alerts = [a for a in await app[ALERTS].outbox.recent(room_id) if a["kind"] == "product_out_of_stock"]
        if alerts:
            break
        await asyncio.sleep(0.1)
    assert [a["text"] for a in alerts] == [
        "商品卖完了：不粘炒锅（PAN-01），已下单 2 件，库存 2 件。请下架或补库存"
    ]
    assert client.server is not None
