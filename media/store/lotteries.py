"""Lottery entries and draws: one entry per viewer, one draw per lottery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Draw, LotteryEntry
from media.store.once import Recorded, insert_once
from media.store.types import utcnow


async def enter_lottery(
    session: AsyncSession, lottery_id: int, viewer_id: str, *, ts: datetime | None = None
) -> Recorded[LotteryEntry]:
    """Enter a viewer once; a second entry reports the first (`created=False`)."""
    values = {"lottery_id": lottery_id, "viewer_id": viewer_id, "ts": ts or utcnow()}
    return await insert_once(session, LotteryEntry, values, ("lottery_id", "viewer_id"))


async def lottery_entrants(session: AsyncSession, lottery_id: int) -> list[str]:
    """The viewer ids entered in a lottery, sorted (the order a draw is made from)."""
    query = select(LotteryEntry.viewer_id).where(LotteryEntry.lottery_id == lottery_id)
    return sorted((await session.scalars(query)).all())


async def record_draw(
    session: AsyncSession,
    lottery_id: int,
    *,
    seed: str,
    algorithm: str,
    entrants: Sequence[str],
    winners: Sequence[str],
    drawn_at: datetime | None = None,
) -> Recorded[Draw]:
    """Store a lottery's result once; a second draw reports the first (`created=False`)."""
    values = {
        "lottery_id": lottery_id,
        "seed": seed,
        "algorithm": algorithm,
        "entrants": list(entrants),
        "winners": list(winners),
        "drawn_at": drawn_at or utcnow(),
    }
    return await insert_once(session, Draw, values, ("lottery_id",))
