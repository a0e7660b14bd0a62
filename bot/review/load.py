"""The review's edge to the database: find a show's run and stream its events, in log order, from
`media.store` into the pure KPI fold."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.review.kpi import ORDER_GRACE_SECONDS, ShowReview, Tally
from bot.review.windows import place_segments
from bot.rules.models import ShowScript
from media.events import RoomEvent
from media.store.db import Database
from media.store.models import EventRow, ShowRun

PRELUDE = dt.timedelta(hours=6)
"""How far before a run's start the review looks for viewers already connected and a product already pinned."""

STATE_KINDS = ("viewer_joined", "viewer_left", "pin")
LATE_KINDS = ("order", "coupon_used")
BATCH = 5000


class RunNotFound(LookupError):
    def __init__(self, show_id: str, run_id: int | None) -> None:
        super().__init__(show_id, run_id)
        self.show_id = show_id
        self.run_id = run_id


@dataclass(frozen=True)
class RunRow:
    id: int
    show_id: str
    room_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    speed: float
    status: str


def _row(run: ShowRun) -> RunRow:
    return RunRow(run.id, run.show_id, run.room_id, run.started_at, run.ended_at, run.speed, run.status)


async def find_run(session: AsyncSession, show_id: str, run_id: int | None = None) -> RunRow:
    """Run `run_id` of the show, or its latest run."""
    query = select(ShowRun).where(ShowRun.show_id == show_id)
    if run_id is not None:
        query = query.where(ShowRun.id == run_id)
    run = (
        await session.scalars(query.order_by(ShowRun.started_at.desc(), ShowRun.id.desc()).limit(1))
    ).first()
    if run is None:
        raise RunNotFound(show_id, run_id)
    return _row(run)


async def earlier_runs(session: AsyncSession, run: RunRow, limit: int) -> Sequence[RunRow]:
    """The room's runs (any show) that started before `run`, newest first."""
    runs = await session.scalars(
        select(ShowRun)
        .where(ShowRun.room_id == run.room_id, ShowRun.started_at < run.started_at, ShowRun.id != run.id)
        .order_by(ShowRun.started_at.desc(), ShowRun.id.desc())
        .limit(limit)
    )
    return [_row(r) for r in runs]


async def list_runs(session: AsyncSession, show_id: str) -> Sequence[RunRow]:
    runs = await session.scalars(select(ShowRun).where(ShowRun.show_id == show_id).order_by(ShowRun.id))
    return [_row(r) for r in runs]


def _records(
    query: Select[tuple[dt.datetime, str, str | None, dict[str, object]]],
) -> Select[tuple[dt.datetime, str, str | None, dict[str, object]]]:
    return query.order_by(EventRow.id).execution_options(yield_per=BATCH)


async def run_records(
    session: AsyncSession, run: RunRow, end: dt.datetime | None = None
) -> AsyncIterator[RoomEvent]:
    """The run's events in id order, after the room's state-setting events from just before it and
    followed by the shop's late orders; streamed in batches, never all in memory."""
    columns = select(EventRow.ts, EventRow.kind, EventRow.viewer_id, EventRow.data)
    queries = [
        columns.where(
            EventRow.room_id == run.room_id,
            EventRow.run_id.is_(None),
            EventRow.kind.in_(STATE_KINDS),
            EventRow.ts >= run.started_at - PRELUDE,
            EventRow.ts < run.started_at,
        ),
        columns.where(EventRow.run_id == run.id),
    ]
    if end is not None:
        queries.append(
            columns.where(
                EventRow.room_id == run.room_id,
                EventRow.run_id.is_(None),
                EventRow.kind.in_(LATE_KINDS),
                EventRow.ts > end,
                EventRow.ts <= end + dt.timedelta(seconds=ORDER_GRACE_SECONDS),
            )
        )
    for query in queries:
        result = await session.stream(_records(query))
        async for partition in result.partitions(BATCH):
            for row in partition:
                yield RoomEvent.at(row.ts, row.kind, row.viewer_id, row.data or {}, room_id=run.room_id)


async def segment_starts(session: AsyncSession, run: RunRow) -> dict[str, dt.datetime]:
    """When the show runner says each segment started (its first `segment_started`)."""
    rows = await session.execute(
        select(EventRow.ts, EventRow.data)
        .where(EventRow.run_id == run.id, EventRow.kind == "segment_started")
        .order_by(EventRow.id)
    )
    out: dict[str, dt.datetime] = {}
    for ts, data in rows:
        segment_id = (data or {}).get("segment_id")
        if isinstance(segment_id, str):
            out.setdefault(segment_id, ts)
    return out


async def last_event_at(session: AsyncSession, run: RunRow) -> dt.datetime | None:
    row = await session.scalar(
        select(EventRow.ts).where(EventRow.run_id == run.id).order_by(EventRow.id.desc()).limit(1)
    )
    return row


async def review_run(db: Database, run: RunRow, script: ShowScript | None) -> ShowReview:
    """The KPIs of one run: its end is `ended_at`, else (still running or crashed) its last event."""
    async with db.sessions() as session:
        end = run.ended_at or await last_event_at(session, run) or run.started_at
        windows = (
            place_segments(script, run.started_at, run.speed, end, await segment_starts(session, run))
            if script is not None
            else []
        )
        tally = Tally(run.started_at, windows, end, speed=run.speed)
        async for record in run_records(session, run, end):
            tally.add(record)
    return tally.result(end)
