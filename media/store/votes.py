"""Ballots: one per viewer and vote, changed in place only when the caller allows it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Ballot
from media.store.once import Recorded, insert_once
from media.store.types import utcnow


async def cast_ballot(
    session: AsyncSession,
    vote_id: int,
    viewer_id: str,
    option: int,
    *,
    replace: bool = False,
    ts: datetime | None = None,
) -> Recorded[Ballot]:
    """Record a viewer's ballot; `created=False` when they had voted already.

    With `replace=True` (a vote with `allow_change`) an earlier ballot takes the new
    option and time; otherwise it is left as it was.
    """
    ts = ts or utcnow()
    values = {"vote_id": vote_id, "viewer_id": viewer_id, "option": option, "ts": ts}
    recorded = await insert_once(session, Ballot, values, ("vote_id", "viewer_id"))
    if recorded.created or not replace:
        return recorded
    await session.execute(
        update(Ballot)
        .where(Ballot.id == recorded.row.id)
        .values(option=option, ts=ts)
        .execution_options(synchronize_session="fetch")
    )
    await session.refresh(recorded.row)
    return recorded


async def tally(session: AsyncSession, vote_id: int) -> dict[int, int]:
    """Ballots per option (options nobody chose are absent)."""
    query = select(Ballot.option, func.count()).where(Ballot.vote_id == vote_id).group_by(Ballot.option)
    return {option: count for option, count in await session.execute(query)}
