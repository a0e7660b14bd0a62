"""The runner's edge on the database: show runs, cue firings and the events that record them.

The database, not the scheduler, is the record of what happened: a firing is claimed by an
INSERT that only one process can win (UNIQUE(run_id, cue_id)), acted on, then marked done
together with its `cue_fired` event.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from bot.show.clock import clock_problem
from media.events import RoomEvent
from media.hub.clock import as_datetime
from media.store.cues import finish_cue_firing, record_cue_firing
from media.store.db import Database
from media.store.events import append_event, insert_events
from media.store.models import CueFiring, EventRow, ShowRun, Vote

IN_PROGRESS = ("running", "paused")
# Events a cue's own room action writes with `data.cue` set: proof that it happened.
EFFECT_KINDS = ("chat", "pin", "coupon_pushed", "vote_opened", "lottery_opened", "countdown_started")


class RunConflict(Exception):
    """Another show is in progress in the room."""

    def __init__(self, show_id: str, run_id: int) -> None:
        super().__init__(show_id, run_id)
        self.show_id = show_id
        self.run_id = run_id


@dataclass(frozen=True)
class RunRow:
    id: int
    show_id: str
    room_id: str
    started_at: float
    speed: float
    shift: float
    status: str
    paused_at: float | None
    ended_at: float | None


def unusable(row: RunRow) -> str | None:
    """Why a stored run cannot be run (its speed or shift out of bounds), or None."""
    return clock_problem(row.speed, row.shift)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _run(row: ShowRun) -> RunRow:
    return RunRow(
        id=row.id,
        show_id=row.show_id,
        room_id=row.room_id,
        started_at=row.started_at.timestamp(),
        speed=row.speed,
        shift=row.shift_seconds,
        status=row.status,
        paused_at=_ts(row.paused_at),
        ended_at=_ts(row.ended_at),
    )


def _lock_key(room_id: str) -> int:
    digest = hashlib.sha256(f"liveroom-show-run:{room_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def in_progress(db: Database, room_id: str) -> RunRow | None:
    async with db.sessions() as s:
        row = await s.scalar(
            select(ShowRun)
            .where(ShowRun.room_id == room_id, ShowRun.status.in_(IN_PROGRESS))
            .order_by(ShowRun.id.desc())
            .limit(1)
        )
    return _run(row) if row is not None else None


async def load_run(db: Database, run_id: int) -> RunRow | None:
    async with db.sessions() as s:
        row = await s.get(ShowRun, run_id, populate_existing=True)
    return _run(row) if row is not None else None


async def last_run_of(db: Database, room_id: str, show_id: str) -> RunRow | None:
    async with db.sessions() as s:
        row = await s.scalar(
            select(ShowRun)
            .where(ShowRun.room_id == room_id, ShowRun.show_id == show_id)
            .order_by(ShowRun.id.desc())
            .limit(1)
        )
    return _run(row) if row is not None else None


async def open_run(
    db: Database,
    room_id: str,
    show_id: str,
    *,
    speed: float,
    started_at: float,
    is_over: Callable[[RunRow], bool],
) -> tuple[RunRow, bool, list[RoomEvent]]:
    """The run of `show_id` in progress in the room, or a new one (`True`): one at a time per room;
    with the events written (`show_started`, and `show_ended` of a stale run it closed).

    PostgreSQL serialises this with an advisory lock; SQLite's single writer refuses a
    stale read-then-write, which is retried.
    """
    for attempt in range(20):
        try:
            return await _open_run_once(db, room_id, show_id, speed, started_at, is_over)
        except OperationalError:
            if db.dialect != "sqlite" or attempt == 19:
                raise
            await asyncio.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


async def _open_run_once(
    db: Database,
    room_id: str,
    show_id: str,
    speed: float,
    started_at: float,
    is_over: Callable[[RunRow], bool],
) -> tuple[RunRow, bool, list[RoomEvent]]:
    written: list[RoomEvent] = []
    async with db.sessions() as s, s.begin():
        if db.dialect == "postgresql":
            await s.execute(select(func.pg_advisory_xact_lock(_lock_key(room_id))))
        rows = (
            await s.scalars(
                select(ShowRun)
                .where(ShowRun.room_id == room_id, ShowRun.status.in_(IN_PROGRESS))
                .order_by(ShowRun.id.desc())
            )
        ).all()
        for row in rows:
            current = _run(row)
            problem = unusable(current)
            if problem is None and not is_over(current):
                if current.show_id != show_id:
                    raise RunConflict(current.show_id, current.id)
                return current, False, written
            # A run left behind by a process that died after its show's time (or one whose clock
            # cannot run): close it.
            row.status = "ended"
            row.ended_at = as_datetime(started_at)
            data = _ended_data(current, "stale" if problem is None else "invalid")
            written.append(
                await append_event(s, RoomEvent(room_id, "show_ended", started_at, data=data, run_id=row.id))
            )
        new = ShowRun(
            show_id=show_id,
            room_id=room_id,
            started_at=as_datetime(started_at),
            speed=speed,
            shift_seconds=0.0,
            status="running",
        )
        s.add(new)
        await s.flush()
        data = {"show_id": show_id, "run_id": new.id, "speed": speed}
        written.append(
            await append_event(s, RoomEvent(room_id, "show_started", started_at, data=data, run_id=new.id))
        )
        return _run(new), True, written


def _ended_data(run: RunRow, reason: str) -> dict[str, Any]:
    # A speed that is not a number would not survive the JSON column: it is only named.
    speed: Any = run.speed if clock_problem(run.speed) is None else repr(run.speed)
    return {"show_id": run.show_id, "run_id": run.id, "speed": speed, "reason": reason}


async def end_unusable(db: Database, run: RunRow, *, now: float) -> list[RoomEvent]:
    """End a stored run whose clock cannot run, with its `show_ended {reason: invalid}`."""
    async with db.sessions() as s, s.begin():
        moved = await s.execute(
            update(ShowRun)
            .where(ShowRun.id == run.id, ShowRun.status.in_(IN_PROGRESS))
            .values(status="ended", ended_at=as_datetime(now))
            .returning(ShowRun.id)
            .execution_options(synchronize_session=False)
        )
        if moved.first() is None:
            return []
        event = RoomEvent(run.room_id, "show_ended", now, data=_ended_data(run, "invalid"), run_id=run.id)
        await insert_events(s, [event])
    return [event]


async def update_run(db: Database, run_id: int, **values: Any) -> None:
    async with db.sessions() as s, s.begin():
        await s.execute(update(ShowRun).where(ShowRun.id == run_id).values(**values))


async def end_run(db: Database, room_id: str, run: RunRow, *, now: float, reason: str) -> list[RoomEvent]:
    """End a run in progress now, with its `show_ended {reason}` in the same transaction; the events
    written (none when the run had already ended)."""
    data = {"show_id": run.show_id, "run_id": run.id, "speed": run.speed, "reason": reason}
    event = RoomEvent(room_id, "show_ended", now, data=data, run_id=run.id)
    async with db.sessions() as s, s.begin():
        ended = await s.execute(
            update(ShowRun)
            .where(ShowRun.id == run.id, ShowRun.status.in_(IN_PROGRESS))
            .values(status="ended", ended_at=as_datetime(now))
            .returning(ShowRun.id)
            .execution_options(synchronize_session=False)
        )
        if ended.first() is None:
            return []
        await insert_events(s, [event])
    return [event]


@dataclass(frozen=True)
class Record:
    state: str
    fired_at: float | None
    scheduled_at: float
    late: bool
    detail: dict[str, Any] = field(default_factory=dict)


async def records(db: Database, run_id: int) -> dict[str, Record]:
    async with db.sessions() as s:
        rows = (await s.scalars(select(CueFiring).where(CueFiring.run_id == run_id))).all()
    return {
        r.cue_id: Record(r.state, _ts(r.fired_at), r.scheduled_at.timestamp(), r.late, dict(r.detail or {}))
        for r in rows
    }


async def claim(
    db: Database,
    run_id: int,
    key: str,
    *,
    scheduled_at: float,
    now: float,
    late: bool,
    detail: dict[str, Any],
) -> bool:
    """Record the firing as under way; False when any process recorded it first."""
    async with db.sessions() as s, s.begin():
        recorded = await record_cue_firing(
            s,
            run_id,
            key,
            scheduled_at=as_datetime(scheduled_at),
            state="firing",
            fired_at=as_datetime(now),
            late=late,
            detail=detail,
        )
    return recorded.created


async def take_over(db: Database, run_id: int, key: str, *, claimed_at: float, now: float) -> bool:
    """Adopt a firing whose claimer died before finishing it; only one process can."""
    async with db.sessions() as s, s.begin():
        result = await s.execute(
            update(CueFiring)
            .where(
                CueFiring.run_id == run_id,
                CueFiring.cue_id == key,
                CueFiring.state == "firing",
                CueFiring.fired_at == as_datetime(claimed_at),
            )
            .values(fired_at=as_datetime(now))
            .returning(CueFiring.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None


Logged = tuple[str, dict[str, Any]]


async def finish(
    db: Database,
    room_id: str,
    run_id: int,
    key: str,
    state: str,
    *,
    now: float,
    late: bool,
    detail: dict[str, Any],
    events: list[Logged],
) -> list[RoomEvent]:
    """Mark a claimed firing `state` and write its events in the same transaction; the events
    written (none when another process finished it first)."""
    written = [RoomEvent(room_id, kind, now, data=data, run_id=run_id) for kind, data in events]
    async with db.sessions() as s, s.begin():
        moved = await finish_cue_firing(
            s, run_id, key, state, fired_at=as_datetime(now), late=late, detail=detail
        )
        if not moved:
            return []
        await insert_events(s, written)
    return written


async def record_outcome(
    db: Database,
    room_id: str,
    run_id: int,
    key: str,
    state: str,
    *,
    scheduled_at: float,
    now: float,
    detail: dict[str, Any],
    events: list[Logged],
) -> list[RoomEvent] | None:
    """Record a firing that will not act (missed, skipped) once, with its events; the events
    written, or None when it was recorded before."""
    async with db.sessions() as s, s.begin():
        recorded = await record_cue_firing(
            s,
            run_id,
            key,
            scheduled_at=as_datetime(scheduled_at),
            state=state,
            fired_at=None,
            late=False,
            detail=detail,
        )
        if not recorded.created:
            return None
        written = [RoomEvent(room_id, kind, now, data=data, run_id=run_id) for kind, data in events]
        await insert_events(s, written)
    return written


async def effect_seen(db: Database, room_id: str, cue_id: str, since: float) -> bool:
    """Did a room action with this cue id get logged at or after `since`?"""
    async with db.sessions() as s:
        rows = (
            await s.scalars(
                select(EventRow.data).where(
                    EventRow.room_id == room_id,
                    EventRow.kind.in_(EFFECT_KINDS),
                    EventRow.ts >= as_datetime(since - 1.0),
                )
            )
        ).all()
    return any(isinstance(d, dict) and d.get("cue") == cue_id for d in rows)


async def vote_result(db: Database, run_id: int, vote_key: str) -> tuple[bool, int | None]:
    """(closed?, winning option index) of a run's vote."""
    async with db.sessions() as s:
        row = await s.scalar(select(Vote).where(Vote.run_id == run_id, Vote.vote_key == vote_key))
    if row is None:
        return False, None
    return row.closed_at is not None, row.winner


async def recent_chat(db: Database, room_id: str, limit: int = 500) -> list[tuple[float, dict[str, Any]]]:
    """The room's latest chat lines, oldest first: (ts, data)."""
    async with db.sessions() as s:
        rows = (
            await s.execute(
                select(EventRow.ts, EventRow.data)
                .where(EventRow.room_id == room_id, EventRow.kind == "chat")
                .order_by(EventRow.id.desc())
                .limit(limit)
            )
        ).all()
    return [(ts.timestamp(), dict(data or {})) for ts, data in reversed(rows)]


async def last_run_id(db: Database, room_id: str) -> int | None:
    async with db.sessions() as s:
        return await s.scalar(
            select(ShowRun.id).where(ShowRun.room_id == room_id).order_by(ShowRun.id.desc()).limit(1)
        )
