"""The append-only event log: the one way to write `RoomEvent`s, and to read them back in order.

`insert_events` is the only code that inserts log rows: the hub's group-commit writer, an
operation's own transaction (`append_event`, so an event and the state change it records
commit together) and the simulated audience all go through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.events import RoomEvent
from media.store.models import EventRow


def _columns(event: RoomEvent) -> dict[str, Any]:
    return {
        "room_id": event.room_id,
        "run_id": event.run_id,
        "ts": datetime.fromtimestamp(event.ts, UTC),
        "kind": event.kind,
        "viewer_id": event.viewer_id,
        "data": event.data,
    }


async def insert_events(session: AsyncSession, events: Sequence[RoomEvent]) -> None:
    """Add events to the caller's transaction in one statement (ids are not read back)."""
    if events:
        await session.execute(insert(EventRow), [_columns(e) for e in events])


async def append_event(session: AsyncSession, event: RoomEvent) -> RoomEvent:
    """Add one event to the caller's transaction; returns it with its log `id`.

    The caller commits, which lets an event and the state change it records go in together.
    """
    row_id = await session.scalar(insert(EventRow).values(**_columns(event)).returning(EventRow.id))
    return dataclasses.replace(event, id=row_id)


def as_event(row: EventRow) -> RoomEvent:
    return RoomEvent(
        row.room_id, row.kind, row.ts.timestamp(), row.viewer_id, dict(row.data or {}), row.run_id, id=row.id
    )


async def run_events(
    session: AsyncSession, run_id: int, *, kinds: Sequence[str] | None = None
) -> list[RoomEvent]:
    """A show run's events in time order (ties in the order they were written)."""
    query = select(EventRow).where(EventRow.run_id == run_id)
    if kinds is not None:
        query = query.where(EventRow.kind.in_(kinds))
    return [as_event(r) for r in await session.scalars(query.order_by(EventRow.ts, EventRow.id))]


async def room_events(
    session: AsyncSession,
    room_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> list[RoomEvent]:
    """A room's events with `since <= ts < until`, in time order."""
    query = select(EventRow).where(EventRow.room_id == room_id)
    if since is not None:
        query = query.where(EventRow.ts >= since)
    if until is not None:
        query = query.where(EventRow.ts < until)
    if kinds is not None:
        query = query.where(EventRow.kind.in_(kinds))
    return [as_event(r) for r in await session.scalars(query.order_by(EventRow.ts, EventRow.id))]


async def events_after(
    session: AsyncSession, after_id: int, *, room_id: str | None = None, limit: int = 1000
) -> list[RoomEvent]:
    """Events with `id > after_id`, oldest first, at most `limit` — for tailing the log.

    On PostgreSQL ids are handed out when a row is inserted, not when it commits, so a
    tail that must not skip lines of concurrent writers should re-read a short window
    behind its last id.
    """
    query = select(EventRow).where(EventRow.id > after_id)
    if room_id is not None:
        query = query.where(EventRow.room_id == room_id)
    return [as_event(r) for r in await session.scalars(query.order_by(EventRow.id).limit(limit))]
