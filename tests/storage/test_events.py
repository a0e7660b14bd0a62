"""The event log reads back in order, and many concurrent writers all get their lines in."""

import asyncio
from datetime import UTC, datetime, timedelta

from media.store.db import Database
from media.store.events import append_event, events_after, room_events, run_events

T0 = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)


async def test_a_runs_events_come_back_in_time_order(database: Database) -> None:
    written = [(3, "chat"), (1, "viewer_joined"), (2, "like"), (2, "gift"), (5, "viewer_left")]
    async with database.sessions() as session, session.begin():
        for seconds, kind in written:
            await append_event(
                session,
                "r1",
                kind,
                run_id=1,
                viewer_id="v1",
                data={"s": seconds},
                ts=T0 + timedelta(seconds=seconds),
            )
        await append_event(session, "r1", "chat", run_id=2, ts=T0)
        await append_event(session, "r2", "chat", ts=T0)
    async with database.sessions() as session:
        events = await run_events(session, 1)
        chats = await run_events(session, 1, kinds=["chat", "like"])
        window = await room_events(
            session, "r1", since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5)
        )
    # Same timestamp: written order (like before gift).
    assert [e.kind for e in events] == ["viewer_joined", "like", "gift", "chat", "viewer_left"]
    assert [e.data["s"] for e in events] == [1, 2, 2, 3, 5]
    assert all(e.ts.tzinfo is not None and e.viewer_id == "v1" for e in events)
    assert [e.kind for e in chats] == ["like", "chat"]
    assert [e.kind for e in window] == ["like", "gift", "chat"]


async def test_tailing_the_log_by_id(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        ids = [(await append_event(session, "r1", "like", data={"n": n})).id for n in range(5)]
        await append_event(session, "r2", "like")
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
                await append_event(session, "r1", "chat", run_id=1, viewer_id=f"v{n}", data={"i": i})

    await asyncio.gather(*(writer(n) for n in range(40)))
    async with database.sessions() as session:
        assert len(await run_events(session, 1)) == 200
