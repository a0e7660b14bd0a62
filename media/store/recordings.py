"""The room's recordings as the event log tells them: the media server writes one file per live stretch
of the host's stream (a reconnect starts a new one) and logs `recording_started {stem}` and
`recording_saved {path, packets, dropped, error}`. A recording belongs to a run when the two overlap in
time: the host often goes live a few minutes before 开播, and the last file is saved after the run ended.
Read by the review (its recordings table, highlight clips) and the replay page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import EventRow

PRELUDE = dt.timedelta(hours=6)
"""How long before the run a recording may have started (as for the review's state events)."""


@dataclass(frozen=True)
class Recording:
    """One file; its first frame is (within a frame) `started_at`: the file starts at 0 on that moment."""

    started_at: dt.datetime
    saved_at: dt.datetime | None  # None: not finished (still recording, or the server stopped mid-stream)
    path: str | None
    packets: int = 0
    dropped: int = 0
    error: str | None = None

    def file(self) -> Path | None:
        """The file on this machine (absolute), if it is here."""
        if not self.path:
            return None
        path = Path(self.path).expanduser().resolve()
        return path if path.is_file() else None

    @property
    def seconds(self) -> float | None:
        return None if self.saved_at is None else (self.saved_at - self.started_at).total_seconds()


async def run_recordings(
    session: AsyncSession, room_id: str, start: dt.datetime, end: dt.datetime
) -> tuple[Recording, ...]:
    """The room's recordings that overlap [start, end], in the order they were made."""
    rows = await session.execute(
        select(EventRow.ts, EventRow.kind, EventRow.data)
        .where(
            EventRow.room_id == room_id,
            EventRow.kind.in_(("recording_started", "recording_saved")),
            EventRow.ts >= start - PRELUDE,
        )
        .order_by(EventRow.id)
    )
    found: list[Recording] = []
    open_at: dt.datetime | None = None
    for ts, kind, data in rows:
        data = data or {}
        if kind == "recording_started":
            if open_at is not None:  # the server died mid-recording; this one never got its trailer
                found.append(Recording(open_at, None, None))
            if ts > end:
                break
            open_at = ts
        elif open_at is not None:
            path = data.get("path")
            found.append(
                Recording(
                    open_at,
                    ts,
                    str(path) if path else None,
                    int(data.get("packets") or 0),
                    int(data.get("dropped") or 0),
                    data.get("error"),
                )
            )
            open_at = None
    if open_at is not None and open_at <= end:
        found.append(Recording(open_at, None, None))
    return tuple(r for r in found if r.started_at <= end and (r.saved_at is None or r.saved_at >= start))
