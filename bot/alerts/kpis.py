"""`/report`: the running show's KPIs so far, folded from the event log as `liveroom report` does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from bot.review.live import LiveNumbers
from bot.review.load import RunRow, run_records, segment_starts
from bot.review.windows import place_segments
from bot.rules.models import ShowScript
from media.store.db import Database
from media.store.models import ShowRun


class RunKpis:
    def __init__(
        self,
        db: Database,
        room_id: str,
        shows: Callable[[], Mapping[str, ShowScript]],
        clock: Callable[[], float],
    ) -> None:
        self.db = db
        self.room_id = room_id
        self.shows = shows
        self.clock = clock

    async def snapshot(self) -> dict[str, Any] | None:
        """The numbers of the run in progress (running or paused), None when no show runs."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        async with self.db.sessions() as session:
            row = await session.scalar(
                select(ShowRun)
                .where(ShowRun.room_id == self.room_id, ShowRun.status.in_(("running", "paused")))
                .order_by(ShowRun.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            run = RunRow(
                row.id, row.show_id, row.room_id, row.started_at, row.ended_at, row.speed, row.status
            )
            script = self.shows().get(run.show_id)
            windows = (
                place_segments(script, run.started_at, run.speed, now, await segment_starts(session, run))
                if script is not None
                else []
            )
            live = LiveNumbers(run.started_at, windows)
            live.feed([record async for record in run_records(session, run)])
        snapshot = live.snapshot(max(now, run.started_at))
        return {**snapshot.as_json(), "ctr": f"{snapshot.ctr.value:.1%}"}
