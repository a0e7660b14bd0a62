"""Issue 19 row 14: 10,000 chat frames at 1,000/s from one socket. The rate limit holds, the refusals count
toward closing the socket (1008), and they are logged as one `chat_rejected` row for the burst, not a
row per frame that the log is still writing minutes after the client left.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from conftest import until
from sqlalchemy import func, select

from media.store.models import EventRow

from .harness import MakeRoomApp, RoomApp


async def _count(app: RoomApp, kind: str) -> int:
    async with app.db.sessions() as s:
        return int(
            await s.scalar(select(func.count()).select_from(EventRow).where(EventRow.kind == kind)) or 0
        )


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_a_chat_flood_is_closed_and_logged_once_per_burst(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make_room_app(kind=kind)
    watcher = await app.viewer()
    flooder = await app.viewer(app.hub.ids.issue().token)
    sent = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        for i in range(10_000):
            await flooder.ws.send_str(json.dumps({"type": "chat", "text": f"刷屏{i}"}, ensure_ascii=False))
            sent += 1
            if flooder.closed_code is not None:
                break
            await asyncio.sleep(max(0.0, started + sent / 1000 - loop.time()))  # 1,000 frames a second
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        pass
    await until(lambda: flooder.closed_code is not None, within=5)
    assert flooder.closed_code == 1008  # policy violation: too many refusals
    assert sent < 200, sent  # closed after a few dozen frames, not after ten thousand
    assert flooder.of("error")[-1]["code"] == "abuse"

    # The rate limit held: 5 lines per 10 s reached the room.
    await asyncio.sleep(0.3)
    assert len([m for m in watcher.of("chat") if m["text"].startswith("刷屏")]) == 5

    # One row for the burst (written once the flooder's socket is gone), with the refusals counted.
    await until(lambda: _has_rows(app, "chat_rejected"), within=5)
    async with app.db.sessions() as s:
        rows = (await s.scalars(select(EventRow).where(EventRow.kind == "chat_rejected"))).all()
    assert len(rows) == 1, [r.data for r in rows]
    burst = rows[0].data
    assert burst["reason"] == "rate_limit" and burst["text"] == "刷屏5"
    refused = len([e for e in flooder.of("error") if e["code"] == "rate_limit"])
    assert burst["count"] == refused >= 15
    # Nothing more to write after the client left.
    await asyncio.sleep(1.0)
    assert await _count(app, "chat_rejected") == 1


async def _has_rows(app: RoomApp, kind: str) -> bool:
    return await _count(app, kind) > 0
