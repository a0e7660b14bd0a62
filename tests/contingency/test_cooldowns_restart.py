"""Issue 19 row 13: contingency cooldowns and `unless_recent` survive a restart (read back from the event log:
`contingency_fired` and the actions' own events), so a rescue 福袋 does not open seconds after a draw that
happened before the restart. On both databases.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient
from conftest import BaseRules, until

from bot.app import CONTINGENCY, RunOptions, build_app
from bot.rules import load_rulebook
from media.app import HUB
from media.config import ServerSettings
from media.hub import RoomEvent

PLANS = """\
- id: viewers-drop
  when:
    viewers_drop: {percent: 20, window: 1m}
  unless_recent:
    lottery: 10m
  do:
    - lottery: {id: rescue-bag, prize: 袜子一双, winners: 1, window: 2m}
  cooldown: 0s
- id: save-50-gone
  when:
    coupon_sold_out: {coupon: save-50}
  do:
    - say: 满减券抢光了，下一波马上来～
  cooldown: 10m
- id: tea-gone
  when:
    product_out_of_stock: {product: TEA-05}
  do:
    - say: 红茶礼盒卖完了
  cooldown: 10m
"""


async def test_cooldowns_and_unless_recent_survive_a_restart(
    base_rules: BaseRules, database_url: str, tmp_path: Path, aiohttp_client
) -> None:  # type: ignore[no-untyped-def]
    rules = load_rulebook(base_rules(write={"contingency.yaml": PLANS}))
    settings = ServerSettings(database_url=database_url, data_dir=str(tmp_path / "var"))

    async def serve() -> tuple[TestClient, list[RoomEvent]]:
        app = build_app(rules, settings, RunOptions(reload_interval=60))
        client: TestClient = await aiohttp_client(app)
        seen: list[RoomEvent] = []
        app[HUB].subscribe(seen.append)
        return client, seen

    async def inject(client: TestClient, kind: str, **data: object) -> None:
        hub = client.app[HUB]
        await hub.log(hub.line(await hub.room(client.app[CONTINGENCY].room_id), kind, data=dict(data)))

    def fired(seen: list[RoomEvent], plan_id: str) -> int:
        return sum(1 for e in seen if e.kind == "contingency_fired" and e.data["plan_id"] == plan_id)

    # Before the restart: a lottery ran (the show's own), and the save-50 plan fired once.
    client, seen = await serve()
    room_id = client.app[CONTINGENCY].room_id
    await client.app[HUB].open_lottery(room_id, "show-bag", "保温杯", 1, None, 60, {})
    await inject(client, "coupon_sold_out", coupon_id="save-50")
    await until(lambda: fired(seen, "save-50-gone") == 1, within=5)
    await client.close()

    # After it, seconds later: viewers drop and save-50 sells out again — both are still cooling down.
    client, seen = await serve()
    await inject(client, "presence", online=100, viewers=100, instance="x")
    await inject(client, "presence", online=10, viewers=10, instance="x")
    await inject(client, "coupon_sold_out", coupon_id="save-50")
    await inject(client, "product_out_of_stock", sku="TEA-05")  # never fired: not cooling down
    await until(lambda: fired(seen, "tea-gone") == 1, within=5)
    await asyncio.sleep(1.0)  # the edge acts on its queue in order; give the others time to show up
    assert fired(seen, "viewers-drop") == 0
    assert fired(seen, "save-50-gone") == 0
    assert not [e for e in seen if e.kind == "lottery_opened"]
    await client.close()
