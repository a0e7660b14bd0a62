"""The append-only event log: write one line, read a run's lines in order, tail the log by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Event
from media.store.types import utcnow


async def append_event(
    session: AsyncSession,
    room_id: str,
    kind: str,
    *,
    run_id: int | None = None,
    viewer_id: str | None = None,
    data: dict[str, Any] | None = None,
    ts: datetime | None = None,
) -> Event:
    """Add one event to the caller's transaction and flush it, so `Event.id` is known.

    The caller commits, which lets an event and the state change it records go in together.
    """
    event = Event(
        room_id=room_id,
        kind=kind,
        run_id=run_id,
        viewer_id=viewer_id,
        data=dict(data or {}),
        ts=ts or utcnow(),
    )
    session.add(event)
    await session.flush()
    return event


async def run_events(
    session: AsyncSession, run_id: int, *, kinds: Sequence[str] | None = None
) -> Sequence[Event]:
    """A show run's events in time order (ties in the order they were written)."""
    query = select(Event).where(Event.run_id == run_id)
    if kinds is not None:
        query = query.where(Event.kind.in_(kinds))
    return (await session.scalars(query.order_by(Event.ts, Event.id))).all()


async def room_events(
    session: AsyncSession,
    room_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> Sequence[Event]:
    """A room's events with `since <= ts < until`, in time order."""
    query = select(Event).where(Event.room_id == room_id)
    if since is not None:
        query = query.where(Event.ts >= since)
    if until is not None:
        query = query.where(Event.ts < until)
    if kinds is not None:
        query = query.where(Event.kind.in_(kinds))
    return (await session.scalars(query.order_by(Event.ts, Event.id))).all()


async def events_after(
    session: AsyncSession, after_id: int, *, room_id: str | None = None, limit: int = 1000
) -> Sequence[Event]:
    """Events with `id > after_id`, oldest first, at most `limit` — for tailing the log.

    On PostgreSQL ids are handed out when a row is inserted, not when it commits, so a
    tail that must not skip lines of concurrent writers should re-read a short window
    behind its last id.
    """
    query = select(Event).where(Event.id > after_id)
    if room_id is not None:
        query = query.where(Event.room_id == room_id)
    return (await session.scalars(query.order_by(Event.id).limit(limit))).all()
