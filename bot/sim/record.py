"""Writing a synthetic run into the database the way the room and the show runner would record it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.review.records import EventRecord
from media.store.db import Database
from media.store.models import Event, ShowRun

BATCH = 5000


async def store_run(
    db: Database,
    room_id: str,
    show_id: str,
    events: Sequence[EventRecord],
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
            session.add_all(
                Event(
                    room_id=room_id,
                    run_id=run_id,
                    ts=e.ts,
                    kind=e.kind,
                    viewer_id=e.viewer_id,
                    data={**e.data, "run_id": run_id}
                    if e.kind in ("show_started", "show_ended")
                    else dict(e.data),
                )
                for e in events[i : i + BATCH]
            )
    return run_id
