"""The show's recordings (回放) in the review: the files `room.yaml` `record: true` wrote while the run was
on (found in the event log by `media.store.recordings.run_recordings`), as a table with notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.review.tables import Column, Table
from media.i18n import CATALOGUE, t
from media.store.recordings import Recording, run_recordings

__all__ = ["Recording", "note", "recordings_table", "run_recordings"]

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
