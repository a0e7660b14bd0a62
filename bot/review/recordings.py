"""The show's recordings (回放) in the review: the files `room.yaml` `record: true` wrote while the run was on.

The media server writes one file per live stretch of the host's stream (a reconnect starts a new one)
and logs `recording_started {stem}` and `recording_saved {path, packets, dropped, error}`. A recording
belongs to a run when the two overlap in time: the host often goes live a few minutes before 开播, and
the last file is saved when the host stops, after the run has ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.review.tables import Column, Table
from media.i18n import CATALOGUE, t
from media.store.models import EventRow

CATALOGUE.add(
    "review.recording",
    {
        "review.recording.table.recordings": {"zh-CN": "录像（回放）", "en": "Recordings (replay)"},
        "review.recording.col.starts_at": {"zh-CN": "开始于（节目时间）", "en": "Starts at (show clock)"},
        "review.recording.col.length": {"zh-CN": "时长", "en": "Length"},
        "review.recording.col.size": {"zh-CN": "大小", "en": "Size"},
        "review.recording.col.file": {"zh-CN": "文件", "en": "File"},
        "review.recording.col.note": {"zh-CN": "备注", "en": "Note"},
        "review.recording.missing": {"zh-CN": "本机没有这个文件", "en": "not on this machine"},
        "review.recording.unfinished": {
            "zh-CN": "还没收尾（仍在录制，或服务器中途退出）",
            "en": "not finished (still recording, or the server stopped mid-stream)",
        },
        "review.recording.failed": {"zh-CN": "录制出错：{error}", "en": "recording failed: {error}"},
        "review.recording.dropped": {
            "zh-CN": "丢了 {dropped} 个包（磁盘太慢）",
            "en": "{dropped} packets dropped (disk too slow)",
        },
        "review.recording.clip_hint": {
            "zh-CN": "切片：liveroom clip 文件 --start 分:秒 --end 分:秒（不重新编码）",
            "en": "Clips: liveroom clip FILE --start MM:SS --end MM:SS (no re-encode)",
        },
    },
)

PRELUDE = dt.timedelta(hours=6)
"""How long before the run a recording may have started (as for the review's state events)."""


@dataclass(frozen=True)
class Recording:
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


def _size(path: Path | None) -> str:
    if path is None:
        return ""
    size = path.stat().st_size
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.0f} KB"


def note(recording: Recording, file: Path | None, lang: str) -> str:
    if recording.error:
        return t(lang, "review.recording.failed", error=recording.error)
    if recording.saved_at is None:
        return t(lang, "review.recording.unfinished")
    notes = []
    if recording.path and file is None:
        notes.append(t(lang, "review.recording.missing"))
    if recording.dropped:
        notes.append(t(lang, "review.recording.dropped", dropped=recording.dropped))
    return "；".join(notes) if lang != "en" else "; ".join(notes)


def recordings_table(recordings: tuple[Recording, ...], start: dt.datetime, lang: str) -> Table:
    """One row per recording: where it starts on the show's clock (negative: before 开播), length, file."""
    return Table(
        "recordings",
        t(lang, "review.recording.table.recordings"),
        (
            Column("starts_at", t(lang, "review.recording.col.starts_at"), "clock"),
            Column("length", t(lang, "review.recording.col.length"), "seconds"),
            Column("size", t(lang, "review.recording.col.size")),
            Column("file", t(lang, "review.recording.col.file")),
            Column("note", t(lang, "review.recording.col.note")),
        ),
        tuple(
            (
                (r.started_at - start).total_seconds(),
                r.seconds,
                _size(file),
                str(file or r.path or ""),
                note(r, file, lang),
            )
            for r, file in ((r, r.file()) for r in recordings)  # one look at the disk per file
        ),
    )
