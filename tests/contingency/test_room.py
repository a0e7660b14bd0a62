"""A running room (build_app) carries out contingency plans: once per cooldown, and the resumption."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from conftest import BaseRules, until

from bot.app import ALERTS, CONTINGENCY, SHOW_RUNNER, RunOptions, build_app
from bot.rules import load_rulebook
from media.app import HUB
from media.hub import RoomEvent

PLANS = """\
- id: stream-down
  title: 主播断流
  when:
    stream_down:
      for: 1s
  do:
    - say: 主播网络波动，马上回来～
    - pause_cues: true
  cooldown: 1m
- id: stream-back
  title: 推流恢复
  when:
    stream_up: {}
  do:
    - resume_cues: true
    - say: 主播回来啦～
  cooldown: 0s
- id: save-50-gone
  when:
    coupon_sold_out:
      coupon: save-50
  do:
    - coupon: save-50
  cooldown: 1m
"""


async def test_stream_down_says_once_pauses_then_resumes(
    base_rules: BaseRules, local_settings, aiohttp_client
) -> None:  # type: ignore[no-untyped-def]
    rules = base_rules(write={"contingency.yaml": PLANS})
    app = build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=60))
    client: TestClient = await aiohttp_client(app)
    hub, runner, edge = app[HUB], app[SHOW_RUNNER], app[CONTINGENCY]
    room_id = edge.room_id
    seen: list[RoomEvent] = []
    hub.subscribe(seen.append)

    def said(text: str) -> int:
        return sum(1 for e in seen if e.kind == "chat" and e.data.get("text") == text)

    def fired(plan_id: str) -> int:
        return sum(1 for e in seen if e.kind == "contingency_fired" and e.data["plan_id"] == plan_id)

    def status() -> str:
        assert runner.active is not None
        return runner.active.row.status

    await runner.start("s")
    assert status() == "running"

    async def inject(kind: str, **data: object) -> None:
        await hub.log(hub.line(await hub.room(room_id), kind, data=dict(data)))

    await inject("stream_down", slot="host", reason="timeout")
    await until(lambda: fired("stream-down") == 1, within=5)
    assert said("主播网络波动，马上回来～") == 1
    assert status() == "paused"
    event = next(e for e in seen if e.kind == "contingency_fired")
    assert event.data["actions"] == ["say", "pause_cues"] and event.data["failed"] == []
    await inject("stream_down", slot="host", reason="timeout")  # still the same outage
    await asyncio.sleep(1.5)
    assert said("主播网络波动，马上回来～") == 1

    await inject("stream_started", slot="host")
    await until(lambda: fired("stream-back") == 1, within=5)
    assert said("主播回来啦～") == 1
    assert status() == "running"

    # A second outage inside the cooldown: no second line, and so no "back" either.
    await inject("stream_down", slot="host", reason="timeout")
    await asyncio.sleep(2.5)
    await inject("stream_started", slot="host")
    await asyncio.sleep(0.5)
    assert said("主播网络波动，马上回来～") == 1
    assert said("主播回来啦～") == 1
    assert fired("stream-down") == 1 and fired("stream-back") == 1
    assert status() == "running"

    # Sold out → the coupon is pushed again, once per cooldown.
    await inject("coupon_sold_out", coupon_id="save-50")
    await inject("coupon_sold_out", coupon_id="save-50")
    await until(lambda: fired("save-50-gone") == 1, within=5)
    await asyncio.sleep(0.3)
    pushed = [e for e in seen if e.kind == "coupon_pushed" and e.data.get("coupon_id") == "save-50"]
    assert len(pushed) == 1 and fired("save-50-gone") == 1

    # The team chat hears of each firing (the alert rule), through the outbox.
    outbox = app[ALERTS].outbox
    alerts: list[dict[str, object]] = []
    for _ in range(40):
        alerts = [a for a in await outbox.recent(room_id) if a["kind"] == "contingency_fired"]
        if len(alerts) >= 3:
            break
        await asyncio.sleep(0.1)
    assert len(alerts) == 3
    assert client.server is not None
