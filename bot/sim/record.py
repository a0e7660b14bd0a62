"""Writing a synthetic run into the database the way the room and the show runner would record it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from media.events import RoomEvent
from media.store.db import Database
from media.store.events import insert_events
from media.store.models import ShowRun

BATCH = 5000


async def store_run(
    db: Database,
    room_id: str,
    show_id: str,
    events: Sequence[RoomEvent],
    start: dt.datetime,
    end: dt.datetime,
    speed: float,
) -> int:
    """A finished run of `show_id` with `events` as its log; returns the run id."""
    async with db.sessions() as session, session.begin():
        run = ShowRun(
            show_id=show_id, room_id=room_id, started_at=start, ended_at=end, speed=speed, status="ended"
        )
        session.add(run)
        await session.flush()
        run_id = run.id
    for i in range(0, len(events), BATCH):
        async with db.sessions() as session, session.begin():
            await insert_events(
                session,
                [
                    RoomEvent(
                        room_id,
                        e.kind,
                        e.ts,
                        e.viewer_id,
                        {**e.data, "run_id": run_id}
                        if e.kind in ("show_started", "show_ended")
                        else dict(e.data),
                        run_id,
                    )
                    for e in events[i : i + BATCH]
                ],
            )
    return run_id
