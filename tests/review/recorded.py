"""A recorded test show for the highlight and replay tests: the test-pattern host publishes by WHIP into a
room with `record: true`, a product is pinned, a viewer says one chat line, the shop reports a burst of
orders through the signed webhook, another product is pinned; then the run stops and the recording is
saved. Every moment is noted so the tests can check the clips and the replay against it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from dataclasses import dataclass, field

import aiohttp
from conftest import ServedRoom, ServeRoom, until

from bot.app import CREDENTIALS, SHOW_RUNNER
from bot.demo.publisher import publish
from bot.review.load import find_run
from bot.review.recordings import run_recordings
from media.app import HUB, MEDIA_SERVER
from media.web.orders import SIGNATURE_HEADER, sign

CHAT_LINE = "这口锅真的不粘吗"
ORDERS = 5


@dataclass
class RecordedShow:
    served: ServedRoom
    show_id: str
    run_id: int
    started_at: dt.datetime  # the run's start
    moments: dict[str, float] = field(default_factory=dict)  # epoch seconds of each thing done

    def since_start(self, name: str) -> float:
        return self.moments[name] - self.started_at.timestamp()


async def record_show(serve_room: ServeRoom) -> RecordedShow:
    served = await serve_room(append={"room.yaml": "\nrecord: true\n"})
    app, base, room = served.app, served.base, served.room
    hub, runner, media = app[HUB], app[SHOW_RUNNER], app[MEDIA_SERVER]
    show_id = sorted(served.book.shows)[0]
    run = await runner.start(show_id)
    session = await publish(f"{base}/whip/{room}", app[CREDENTIALS].publish_token, "高光切片测试")
    await until(lambda: (r := media.recorders.get(room)) is not None and r.packets > 30, 30)
    moments: dict[str, float] = {"recording": time.time()}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/room/{room}") as response:
            token = response.cookies["lr_viewer"].value
        async with http.ws_connect(f"{base}/ws/{room}?token={token}&nick=试看的人") as ws:
            await asyncio.sleep(1.0)
            await hub.pin_product(room, "PAN-01")
            moments["pin"] = time.time()
            await asyncio.sleep(2.0)
            await ws.send_str(json.dumps({"type": "chat", "text": CHAT_LINE}))
            moments["chat"] = time.time()
            await asyncio.sleep(2.0)
            moments["orders"] = time.time()
            for n in range(ORDERS):
                body = json.dumps(
                    {
                        "order_id": f"burst-{n}",
                        "room": room,
                        "sku": "PAN-01",
                        "amount": "159.00",
                        "viewer_id": token.partition(".")[0],
                    }
                ).encode()
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(app[CREDENTIALS].secret, body),
                }
                async with http.post(f"{base}/api/orders", data=body, headers=headers) as answer:
                    assert answer.status == 201, await answer.text()
            await asyncio.sleep(3.0)
            await hub.pin_product(room, "TEA-05")
            moments["pin_tea"] = time.time()
            await asyncio.sleep(7.0)  # the tea's 讲解 lasts till the run stops: long enough to be one
    await runner.stop()
    await session.close()

    async def saved() -> bool:
        async with hub.db.sessions() as s:
            found = await run_recordings(s, room, run_started(run), dt.datetime.now(dt.UTC))
        return any(r.saved_at is not None for r in found)

    await until(saved, 20)
    async with hub.db.sessions() as s:
        row = await find_run(s, show_id, run.id)
    return RecordedShow(served, show_id, run.id, row.started_at, moments)


def run_started(run: object) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(run.started_at), dt.UTC)
