"""Cue firings, recorded before and after a cue acts, so a restart neither repeats nor drops it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import CueFiring
from media.store.once import Recorded, insert_once


async def record_cue_firing(
    session: AsyncSession,
    run_id: int,
    cue_id: str,
    *,
    scheduled_at: datetime,
    state: str = "firing",
    fired_at: datetime | None = None,
    late: bool = False,
    detail: dict[str, Any] | None = None,
) -> Recorded[CueFiring]:
    """Claim the cue for this run; `created` is False when it was already recorded.

    Only the caller that gets `created=True` (and commits) may act on the cue.
    """
    values = {
        "run_id": run_id,
        "cue_id": cue_id,
        "state": state,
        "scheduled_at": scheduled_at,
        "fired_at": fired_at,
        "late": late,
        "detail": dict(detail or {}),
    }
    return await insert_once(session, CueFiring, values, ("run_id", "cue_id"))


async def finish_cue_firing(
    session: AsyncSession,
    run_id: int,
    cue_id: str,
    state: str,
    *,
    fired_at: datetime | None = None,
    late: bool = False,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Move a cue out of `firing` into `state`; False when it was not (or no longer) firing."""
    values: dict[str, Any] = {"state": state, "fired_at": fired_at, "late": late}
    if detail is not None:
        values["detail"] = dict(detail)
    result = await session.execute(
        update(CueFiring)
        .where(CueFiring.run_id == run_id, CueFiring.cue_id == cue_id, CueFiring.state == "firing")
        .values(**values)
        .returning(CueFiring.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def cue_firings(session: AsyncSession, run_id: int) -> Sequence[CueFiring]:
    """Every cue recorded for a run, in schedule order."""
    query = select(CueFiring).where(CueFiring.run_id == run_id).order_by(CueFiring.scheduled_at, CueFiring.id)
    return (await session.scalars(query)).all()
