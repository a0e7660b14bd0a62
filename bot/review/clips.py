"""Cutting a clip (切片) out of a show recording by copying its packets: no decode, no encode.

A clip starts at the last video keyframe at or before the requested start (a clip that began
between keyframes would open on broken pictures) and its timestamps are rebased to 0.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "clip",
    {
        "clip.missing": {"zh-CN": "找不到录像文件 {path}", "en": "no such recording: {path}"},
        "clip.unreadable": {"zh-CN": "读不了 {path}：{error}", "en": "cannot read {path}: {error}"},
        "clip.not_recording": {
            "zh-CN": "{path} 不是录像（要 .webm 或 .mkv，且有视频）",
            "en": "{path} is not a recording (expected .webm or .mkv with video)",
        },
        "clip.bad_time": {
            "zh-CN": "{option} 的时间“{value}”看不懂：写成 秒、分:秒 或 时:分:秒，例如 90、12:30、1:02:03.5",
            "en": "{option}: cannot read the time '{value}'; write SS, MM:SS or HH:MM:SS, e.g. 90, 12:30, 1:02:03.5",
        },
        "clip.end_before_start": {
            "zh-CN": "结束时间 {end} 要晚于开始时间 {start}",
            "en": "the end ({end}) must come after the start ({start})",
        },
        "clip.start_past_end": {
            "zh-CN": "开始时间 {start} 已超出录像结尾：{path} 只有 {length}",
            "en": "the start ({start}) is past the end of the recording: {path} is {length} long",
        },
        "clip.no_keyframe": {
            "zh-CN": "{path} 在 {start} 之前没有关键帧，无法不重新编码地从这里开始",
            "en": "{path} has no keyframe at or before {start}, so a clip cannot start there without re-encoding",
        },
        "clip.exists": {
            "zh-CN": "{path} 已存在；要覆盖请加 --force",
            "en": "{path} already exists; add --force to overwrite it",
        },
        "clip.same_file": {
            "zh-CN": "切片不能写到录像本身 {path}",
            "en": "the clip cannot overwrite the recording itself ({path})",
        },
        "clip.wrong_suffix": {
            "zh-CN": "切片和录像格式相同，文件名要以 {suffix} 结尾：{path}",
            "en": "the clip has the recording's format, so its name must end in {suffix}: {path}",
        },
        "clip.failed": {
            "zh-CN": "写切片 {path} 失败：{error}",
            "en": "writing the clip {path} failed: {error}",
        },
    },
)

SUFFIX_FORMATS = {".webm": "webm", ".mkv": "matroska"}
INTERLEAVE_SLACK = 10
"""Seconds past the clip's end after which no stream can still hold a packet before it (ffmpeg's
muxer interleaves streams within 10 s)."""
_LEADING = re.compile(r"\d+")
_SECONDS = re.compile(r"\d+(?:\.\d*)?|\.\d+")


class ClipError(Exception):
    """A user error: the file, the times or the output, with what was expected."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params

    def render(self, lang: str | None) -> str:
        return t(lang, f"clip.{self.key}", **self.params)


@dataclass(frozen=True, slots=True)
class ClipResult:
    path: Path
    requested_start_s: float
    start_s: float  # the keyframe the clip opens on, from the beginning of the recording
    end_s: float  # where the clip stops: the requested end, or the recording's end if sooner
    duration_s: float
    size_bytes: int
    video_packets: int
    audio_packets: int


def parse_time(text: str, option: str = "--start") -> float:
    """Seconds from `SS`, `MM:SS` or `HH:MM:SS` (fractions allowed in the last part)."""
    parts = text.strip().split(":")
    leading, last = parts[:-1], parts[-1]
    if (
        len(parts) > 3
        or not _SECONDS.fullmatch(last)
        or not all(_LEADING.fullmatch(p) for p in leading)
        or (leading and float(last) >= 60)
        or (len(leading) == 2 and int(leading[1]) >= 60)
    ):
        raise ClipError("bad_time", option=option, value=text)
    seconds = float(last)
    for i, part in enumerate(reversed(leading), start=1):
        seconds += int(part) * 60**i
    return seconds


def format_time(seconds: float) -> str:
    """mm:ss with tenths when there are any (12:28.4, 12:30), h:mm:ss past an hour."""
    tenths = round(seconds * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return f"{text}.{tenth}" if tenth else text


def format_size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.0f} KB"


def default_clip_path(src: Path, start_s: float, end_s: float) -> Path:
    """Next to the recording: `<stem>-clip-0750-0790.webm` (whole seconds)."""
    return src.with_name(f"{src.stem}-clip-{int(start_s):04d}-{int(end_s):04d}{src.suffix}")


def cut(src: Path, dst: Path, start_s: float, end_s: float, *, overwrite: bool = False) -> ClipResult:
    """Copy the packets of `src` from the last keyframe at or before `start_s` up to `end_s` into `dst`.

    Times are seconds from the beginning of the recording. Raises `ClipError` for user errors.
    """
    if end_s <= start_s:
        raise ClipError("end_before_start", start=format_time(start_s), end=format_time(end_s))
    with _open_recording(src) as recording:
        suffix = src.suffix.lower()
        if dst.suffix.lower() != suffix:
            raise ClipError("wrong_suffix", suffix=suffix, path=dst)
        if dst.exists():
            if dst.resolve() == src.resolve():
                raise ClipError("same_file", path=src)
            if not overwrite:
                raise ClipError("exists", path=dst)
        origin = _origin(recording)
        length = _end(recording) - origin
        if start_s >= length:
            raise ClipError(
                "start_past_end", start=format_time(start_s), path=src, length=format_time(float(length))
            )
        keyframe = _keyframe_at_or_before(src, recording, origin + Fraction(start_s))
        if keyframe is None:
            raise ClipError("no_keyframe", path=src, start=format_time(start_s))
    part = dst.with_name(dst.name + ".part")
    try:
        with _open_recording(src) as recording:
            copied = _copy(recording, part, SUFFIX_FORMATS[suffix], keyframe, origin + Fraction(end_s))
        os.replace(part, dst)
    except (av.FFmpegError, OSError) as exc:
        raise ClipError("failed", path=dst, error=exc) from exc
    finally:
        part.unlink(missing_ok=True)
    return ClipResult(
        path=dst,
        requested_start_s=start_s,
        start_s=float(keyframe - origin),
        end_s=min(end_s, float(length)),
        duration_s=copied.duration,
        size_bytes=dst.stat().st_size,
        video_packets=copied.video,
        audio_packets=copied.audio,
    )


# -- reading ---------------------------------------------------------------


def _open_recording(src: Path) -> Any:
    if not src.exists():
        raise ClipError("missing", path=src)
    if src.suffix.lower() not in SUFFIX_FORMATS:
        raise ClipError("not_recording", path=src)
    try:
        with src.open("rb"):
            pass
    except OSError as exc:
        raise ClipError("unreadable", path=src, error=exc.strerror or exc) from exc
    try:
        container: Any = av.open(str(src), "r")
    except av.FFmpegError as exc:
        raise ClipError("not_recording", path=src) from exc
    if "matroska" not in container.format.name or not container.streams.video:
        container.close()
        raise ClipError("not_recording", path=src)
    return container


def _seconds(packet: Any) -> Fraction:
    at: Fraction = Fraction(packet.pts) * packet.time_base
    return at


def _origin(recording: Any) -> Fraction:
    """The earliest timestamp in the file: a recording after a reconnect does not start at 0."""
    firsts: dict[int, Fraction] = {}
    for seen, packet in enumerate(recording.demux()):
        if packet.pts is not None:
            firsts.setdefault(packet.stream.index, _seconds(packet))
        if len(firsts) == len(recording.streams) or (firsts and seen > 1000):
            break  # a stream that is still silent after 1000 packets does not open the recording
    if not firsts:
        raise ClipError("not_recording", path=recording.name)
    return min(firsts.values())


def _end(recording: Any) -> Fraction:
    """Where the last packet ends: from the last keyframe on (a file cut short has no index: read it all)."""
    video = recording.streams.video[0]
    try:
        recording.seek(2**62, stream=video)
    except av.FFmpegError:
        recording.seek(0)
    end = Fraction(0)
    for packet in recording.demux():
        if packet.pts is not None:
            end = max(end, _seconds(packet) + Fraction(packet.duration or 0) * packet.time_base)
    return end


def _keyframe_at_or_before(src: Path, recording: Any, target: Fraction) -> Fraction | None:
    """The time of the last video keyframe at or before `target`, by the index when it has one."""
    video = recording.streams.video[0]
    try:
        recording.seek(int(target / video.time_base), stream=video)
    except av.FFmpegError:
        found = None
    else:
        found = _scan_keyframes(recording, target)
    if found is not None:
        return found
    with _open_recording(src) as from_start:  # no index, or the index missed: read from the start
        return _scan_keyframes(from_start, target, trusted=False)


def _scan_keyframes(recording: Any, target: Fraction, trusted: bool = True) -> Fraction | None:
    found: Fraction | None = None
    for packet in recording.demux(recording.streams.video[0]):
        if packet.pts is None:
            continue
        at = _seconds(packet)
        if found is None and trusted and (not packet.is_keyframe or at > target):
            return None  # the seek did not land on a keyframe before the target
        if at > target:
            break
        if packet.is_keyframe:
            found = at
    return found


# -- writing ---------------------------------------------------------------


@dataclass
class _Copied:
    video: int = 0
    audio: int = 0
    duration: float = 0.0


def _copy(recording: Any, dst: Path, fmt: str, start: Fraction, end: Fraction) -> _Copied:
    video = recording.streams.video[0]
    audio = recording.streams.audio[0] if recording.streams.audio else None
    recording.seek(int(start / video.time_base), stream=video)
    copied = _Copied()
    with av.open(str(dst), "w", format=fmt) as out:
        targets = {video.index: out.add_stream_from_template(video)}
        if audio is not None:
            targets[audio.index] = out.add_stream_from_template(audio)
        done: set[int] = set()
        for packet in recording.demux(*(s for s in (video, audio) if s is not None)):
            if packet.pts is None:
                continue
            at = _seconds(packet)
            index = packet.stream.index
            if at < start or index in done:
                continue
            if at >= end:
                done.add(index)
                if len(done) == len(targets) or at >= end + INTERLEAVE_SLACK:
                    break  # a stream with nothing more to give (a show without a microphone) ends it too
                continue
            if index == video.index and copied.video == 0 and not packet.is_keyframe:
                continue  # cannot happen after a keyframe seek; never open a clip mid-GOP
            offset = int(start / packet.time_base)
            packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
            packet.stream = targets[index]
            out.mux(packet)
            if index == video.index:
                copied.video += 1
            else:
                copied.audio += 1
            copied.duration = max(
                copied.duration, float(at - start + Fraction(packet.duration or 0) * packet.time_base)
            )
    return copied
