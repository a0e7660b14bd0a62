"""Ended sessions: a signed-out team or host session's id, so every instance refuses its cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import EndedSession
from media.store.once import insert_once
from media.store.types import utcnow


async def end_session(session: AsyncSession, nonce: str, room_id: str, expires_at: datetime) -> None:
    """Record that the session `nonce` ended (again: nothing new)."""
    values = {"nonce": nonce, "room_id": room_id, "expires_at": expires_at, "ended_at": utcnow()}
    await insert_once(session, EndedSession, values, ("nonce",))


async def ended_sessions(session: AsyncSession, now: datetime | None = None) -> set[str]:
    """The ids of sessions ended before they expired; rows past their expiry are deleted on the way."""
    now = now or utcnow()
    await session.execute(delete(EndedSession).where(EndedSession.expires_at < now))
    return set((await session.scalars(select(EndedSession.nonce))).all())
