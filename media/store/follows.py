"""Follows: a viewer follows a room at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Follow
from media.store.once import Recorded, insert_once
from media.store.types import utcnow


async def follow(
    session: AsyncSession, room_id: str, viewer_id: str, *, ts: datetime | None = None
) -> Recorded[Follow]:
    """Record a follow; a second one reports the first (`created=False`)."""
    values = {"room_id": room_id, "viewer_id": viewer_id, "ts": ts or utcnow()}
    return await insert_once(session, Follow, values, ("room_id", "viewer_id"))
