"""Issue 19 row 17: the database cannot be written for a while. `/healthz` says `degraded` with the reason;
joins and likes wait and go through when it can be written again; past the retry window a join is refused
visibly (1013, try again) and likes are kept for the next write, never dropped. On both databases.

The database is made read-only the way a server is (SQLite `PRAGMA query_only`, PostgreSQL
`SET TRANSACTION READ ONLY`) on every connection the app takes from its pool while the switch is on,
so each write fails with the database's own error.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import WSCloseCode, WSMsgType
from conftest import until
from sqlalchemy import event, func, select

from media.store.models import EventRow

from .harness import MakeRoomApp, RoomApp

KINDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


class ReadOnlySwitch:
    def __init__(self, app: RoomApp) -> None:
        self.on = False
        self.dialect = app.db.dialect
        event.listen(app.db.engine.sync_engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        if self.dialect == "sqlite":
            cursor.execute(f"PRAGMA query_only = {1 if self.on else 0}")
        else:  # the first statement of the connection's next transaction
            cursor.execute("SET TRANSACTION READ ONLY" if self.on else "SET TRANSACTION READ WRITE")
        cursor.close()


async def _health(app: RoomApp) -> dict[str, Any]:
    response = await app.client.get("/healthz")
    assert response.status == 200
    return dict(await response.json())


async def _likes(app: RoomApp) -> int:
    async with app.db.sessions() as s:
        rows = (await s.scalars(select(EventRow.data).where(EventRow.kind == "like"))).all()
    return sum(int(d["count"]) for d in rows)


async def _joins(app: RoomApp) -> int:
    async with app.db.sessions() as s:
        return int(
            await s.scalar(select(func.count()).select_from(EventRow).where(EventRow.kind == "viewer_joined"))
            or 0
        )


@pytest.mark.parametrize("kind", KINDS)
async def test_an_unwritable_database_is_reported_and_loses_no_join_or_like(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make_room_app(kind=kind)
    switch = ReadOnlySwitch(app)
    liker = await app.viewer(app.hub.ids.issue().token)
    assert (await _health(app))["status"] == "ok"

    switch.on = True
    for _ in range(3):
        await liker.send({"type": "like", "count": 2})
    await until(lambda: _degraded(app), within=5)
    health = await _health(app)
    assert health["status"] == "degraded" and health["database"]["writable"] is False
    assert any("database" in reason for reason in health["reasons"]), health
    assert "readonly" in health["database"]["error"] or "read-only" in health["database"]["error"]
    # A viewer joining now waits for the log (the write is retried) instead of being turned away.
    joining = asyncio.create_task(app.viewer(app.hub.ids.issue().token))
    await asyncio.sleep(2.0)
    assert not joining.done()
    switch.on = False
    await asyncio.wait_for(joining, 10)  # welcomed once the join is in the log
    await until(lambda: _likes_are(app, 6), within=10)
    assert await _joins(app) == 2
    await until(lambda: _ok(app), within=5)

    # Longer than the event log retries: the join is refused visibly, the likes wait for the next write.
    app.hub.eventlog.retry_for = 3.0
    switch.on = True
    await liker.send({"type": "like", "count": 5})
    loop = asyncio.get_running_loop()
    for attempt in range(2):
        asked = loop.time()
        ws = await app.client.ws_connect("/ws/demo", params={"token": app.hub.ids.issue().token})
        message = await ws.receive(timeout=10)
        assert message.type == WSMsgType.CLOSE and ws.close_code == WSCloseCode.TRY_AGAIN_LATER, message
        await ws.close()
        if attempt == 1:  # the outage is past the window: refused at once, not after another 3 s
            assert loop.time() - asked < 3.0
    assert await _likes(app) == 6
    switch.on = False
    await until(lambda: _likes_are(app, 11), within=10)
    await until(lambda: _ok(app), within=5)


async def _degraded(app: RoomApp) -> bool:
    return (await _health(app))["status"] == "degraded"


async def _ok(app: RoomApp) -> bool:
    return (await _health(app))["status"] == "ok"


async def _likes_are(app: RoomApp, n: int) -> bool:
    return await _likes(app) == n


@pytest.mark.parametrize("kind", KINDS)
async def test_one_callers_bad_event_does_not_fail_the_others_in_its_batch(
    make_room_app: MakeRoomApp, kind: str
) -> None:
    app = await make_room_app(kind=kind)
    room = await app.hub.room("demo")
    good = app.hub.line(room, "gift", data={"gift_id": "rose", "name": "玫瑰"})
    bad = app.hub.line(room, "gift", data={"gift_id": object()})  # cannot be stored as JSON
    results = await asyncio.gather(
        app.hub.eventlog.append(good), app.hub.eventlog.append(bad), return_exceptions=True
    )
    assert results[0] == [None] and isinstance(results[1], Exception), results
    async with app.db.sessions() as s:
        gifts = (await s.scalars(select(EventRow.data).where(EventRow.kind == "gift"))).all()
    assert gifts == [{"gift_id": "rose", "name": "玫瑰"}]
    assert (await _health(app))["status"] == "ok"  # the database was writable all along
