"""Cutting a run's highlights (高光切片) out of its recordings: each clip copied from the recording without
re-encoding (`bot.review.clips.cut`), a thumbnail of its first picture, and a manifest
(`highlights.json`) the report reads. The edge of `bot.review.highlights`: files and the decoder."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from bot.review.clips import ClipError, cut
from bot.review.highlights import Highlight
from media.config import DATA_DIR
from media.store.recordings import Recording

MANIFEST = "highlights.json"
THUMBNAIL_WIDTH = 320


@dataclass(frozen=True)
class HighlightClip:
    highlight: Highlight
    start: float  # where the clip really starts on the show clock (the keyframe at or before the moment)
    end: float
    path: Path | None = None
    thumbnail: Path | None = None
    problem: str | None = None  # why there is no clip (no recording covers the moment, …)


def clips_dir(show_id: str, run_id: int, recordings: Sequence[Recording] = ()) -> Path:
    """Where a run's clips go: `highlights/<show>-<run>/` in the data directory — the one its recordings
    are in, else `$LIVEROOM_DATA_DIR` (`var`)."""
    for recording in recordings:
        file = recording.file()
        if file is not None and file.parent.name == "recordings":
            return file.parent.parent / "highlights" / f"{show_id}-{run_id}"
    return (
        Path(os.environ.get("LIVEROOM_DATA_DIR") or DATA_DIR).resolve() / "highlights" / f"{show_id}-{run_id}"
    )


def covering(recordings: Sequence[Recording], moment: dt.datetime) -> Recording | None:
    """The saved recording on this machine that holds `moment`."""
    for r in recordings:
        if r.file() is not None and r.seconds is not None:
            if r.started_at <= moment < r.started_at + dt.timedelta(seconds=r.seconds):
                return r
    return None


def cut_highlights(
    highlights: Sequence[Highlight], recordings: Sequence[Recording], run_start: dt.datetime, out: Path
) -> list[HighlightClip]:
    """Each highlight cut from the recording that holds its start, with its thumbnail; `out` is replaced."""
    out.mkdir(parents=True, exist_ok=True)
    clips: list[HighlightClip] = []
    for h in highlights:
        moment = run_start + dt.timedelta(seconds=h.start)
        recording = covering(recordings, moment + dt.timedelta(seconds=min(1.0, h.seconds / 2)))
        if recording is None or recording.seconds is None:
            clips.append(HighlightClip(h, h.start, h.end, problem="no_recording"))
            continue
        file = recording.file()
        assert file is not None
        offset = (recording.started_at - run_start).total_seconds()  # the file's 0 on the show clock
        start = max(0.0, h.start - offset)
        end = min(recording.seconds, h.end - offset)
        target = out / f"{h.slug}{file.suffix}"
        try:
            result = cut(file, target, start, end, overwrite=True)
        except ClipError as exc:
            clips.append(HighlightClip(h, h.start, h.end, problem=exc.key))
            continue
        picture = out / f"{h.slug}.jpg"
        clips.append(
            HighlightClip(
                h,
                offset + result.start_s,
                offset + result.end_s,
                result.path,
                picture if thumbnail(result.path, picture) else None,
            )
        )
    return clips


def thumbnail(clip: Path, out: Path, width: int = THUMBNAIL_WIDTH) -> bool:
    """A JPEG of the clip's first picture (the decoder reads it: the clip plays); False if none decodes."""
    try:
        opened: Any = av.open(str(clip))
        with opened as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                image = frame.to_image()
                height = max(1, round(image.height * width / max(1, image.width)))
                image.resize((width, height)).save(out, "JPEG", quality=80)
                return True
    except (av.FFmpegError, OSError, IndexError):
        return False
    return False


def write_manifest(out: Path, show_id: str, run_id: int, clips: Sequence[HighlightClip]) -> Path:
    path = out / MANIFEST
    entries = [
        {
            "slug": c.highlight.slug,
            "number": c.highlight.number,
            "kind": c.highlight.kind,
            "title": c.highlight.title,
            "sku": c.highlight.sku,
            "start": round(c.start, 3),
            "end": round(c.end, 3),
            "orders": c.highlight.orders,
            "gmv": f"{c.highlight.gmv:.2f}",
            "clicks": c.highlight.clicks,
            "likes": c.highlight.likes,
            "chat": c.highlight.chat,
            "file": c.path.name if c.path else None,
            "thumbnail": c.thumbnail.name if c.thumbnail else None,
            "problem": c.problem,
        }
        for c in clips
    ]
    path.write_text(
        json.dumps({"show_id": show_id, "run_id": run_id, "clips": entries}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return path


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The clips `liveroom highlights` cut for a run, by slug, with their files resolved (if still there)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, dict[str, Any]] = {}
    for entry in data.get("clips", []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("slug"), str):
            continue
        for key in ("file", "thumbnail"):
            name = entry.get(key)
            entry[key] = (out / name) if isinstance(name, str) and (out / name).is_file() else None
        found[entry["slug"]] = entry
    return found
