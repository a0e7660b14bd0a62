"""The event log reads back in order, and many concurrent writers all get their lines in."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

from media.events import RoomEvent
from media.store.db import Database
from media.store.events import append_event, events_after, room_events, run_events

T0 = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)


def like(room_id: str, data: dict[str, int]) -> RoomEvent:
    return RoomEvent(room_id, "like", time.time(), data=data)


async def test_a_runs_events_come_back_in_time_order(database: Database) -> None:
    written = [(3, "chat"), (1, "viewer_joined"), (2, "like"), (2, "gift"), (5, "viewer_left")]
    async with database.sessions() as session, session.begin():
        for seconds, kind in written:
            when = T0 + timedelta(seconds=seconds)
            await append_event(
                session, RoomEvent.at(when, kind, "v1", {"s": seconds}, room_id="r1", run_id=1)
            )
        await append_event(session, RoomEvent.at(T0, "chat", room_id="r1", run_id=2))
        await append_event(session, RoomEvent.at(T0, "chat", room_id="r2"))
    async with database.sessions() as session:
        events = await run_events(session, 1)
        chats = await run_events(session, 1, kinds=["chat", "like"])
        window = await room_events(
            session, "r1", since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5)
        )
    # Same timestamp: written order (like before gift).
    assert [e.kind for e in events] == ["viewer_joined", "like", "gift", "chat", "viewer_left"]
    assert [e.data["s"] for e in events] == [1, 2, 2, 3, 5]
    assert [e.when for e in events] == [T0 + timedelta(seconds=s) for s in (1, 2, 2, 3, 5)]
    assert all(e.when.tzinfo is not None and e.viewer_id == "v1" and e.room_id == "r1" for e in events)
    assert [e.kind for e in chats] == ["like", "chat"]
    assert [e.kind for e in window] == ["like", "gift", "chat"]


async def test_tailing_the_log_by_id(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        ids = [(await append_event(session, like("r1", {"n": n}))).id for n in range(5)]
        await append_event(session, like("r2", {}))
    assert ids == sorted(ids)
    async with database.sessions() as session:
        tail = await events_after(session, ids[1], room_id="r1")
        page = await events_after(session, 0, limit=2)
    assert [e.data["n"] for e in tail] == [2, 3, 4]
    assert [e.id for e in page] == ids[:2]


async def test_concurrent_writers_wait_instead_of_failing(database: Database) -> None:
    async def writer(n: int) -> None:
        for i in range(5):
            async with database.sessions() as session, session.begin():
                await run_events(session, 1)  # read first, then write, in one transaction
                event = RoomEvent("r1", "chat", time.time(), f"v{n}", {"i": i}, run_id=1)
                await append_event(session, event)

    await asyncio.gather(*(writer(n) for n in range(40)))
    async with database.sessions() as session:
        assert len(await run_events(session, 1)) == 200
