"""HLS output on the event loop: one host session's rolling window of fMP4 segments and parts, its playlist.

`media.rtc.segmenter.Segmenter` (a thread) cuts the host's frames into parts; they land in an
`HlsStream`, which keeps the last `window` segments in memory (bounded, no disk), tells waiting
requests when something new arrived (LL-HLS blocking reload and preload hints), and writes its
media playlist with `render_playlist`. `media.rtc.hlsweb` serves it under /hls/{room}/.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from media.config import HlsOutput


@dataclass
class Part:
    msn: int
    index: int
    data: bytes
    duration: float
    independent: bool


@dataclass
class Segment:
    msn: int
    started_at: float  # wall-clock time of its first frame (EXT-X-PROGRAM-DATE-TIME)
    parts: list[Part] = field(default_factory=list)
    complete: bool = False
    _data: bytes | None = None

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.parts)

    @property
    def data(self) -> bytes:
        if self._data is None or not self.complete:
            self._data = b"".join(p.data for p in self.parts)
        return self._data


def first_sequence_number(now: float) -> int:
    """Media sequence numbers never repeat for a room, not even across restarts: a CDN may cache a
    blocking playlist request (`?_HLS_msn=N`) for a minute. Segments last ≥ 0.25 s, so 4 per second."""
    return int(now * 4)


class HlsStream:
    """One host session's HLS output, as the HTTP handlers see it (on the event loop)."""

    def __init__(self, room_id: str, settings: HlsOutput, first_msn: int | None = None) -> None:
        self.room_id = room_id
        self.settings = settings
        self.generation = secrets.token_hex(4)
        self.init: bytes | None = None
        self.codecs = ""
        self.segments: deque[Segment] = deque()
        self.next_msn = first_sequence_number(time.time()) if first_msn is None else first_msn
        self.ended = False
        self.produced = 0  # segments completed in this session (the window keeps only the last few)
        self.started_at = time.monotonic()
        self._changed = asyncio.Event()

    # -- what the segmenter delivers (called on the loop) -----------------

    def set_init(self, data: bytes, codecs: str) -> None:
        self.init, self.codecs = data, codecs
        self._notify()

    def add_part(self, part: Part, wall: float) -> None:
        current = self.segments[-1] if self.segments else None
        if current is None or current.complete or current.msn != part.msn:
            current = Segment(part.msn, wall)
            self.segments.append(current)
            self.next_msn = part.msn + 1
        current.parts.append(part)
        self._notify()

    def end_segment(self, msn: int) -> None:
        for segment in self.segments:
            if segment.msn == msn and not segment.complete:
                segment.complete = True
                self.produced += 1
        while sum(1 for s in self.segments if s.complete) > self.settings.window:
            self.segments.popleft()
        self._notify()

    def end(self) -> None:
        if self.segments and not self.segments[-1].complete:
            if self.segments[-1].parts:
                self.segments[-1].complete = True
            else:
                self.segments.pop()
        self.ended = True
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- what the HTTP side reads --------------------------------------------

    def segment(self, msn: int) -> Segment | None:
        return next((s for s in self.segments if s.msn == msn), None)

    def part(self, msn: int, index: int) -> Part | None:
        segment = self.segment(msn)
        if segment is None or index >= len(segment.parts):
            return None
        return segment.parts[index]

    def has(self, msn: int, part: int | None) -> bool:
        """Whether the playlist already shows segment `msn` (complete) or its part `part`."""
        if self.ended:
            return True
        segment = self.segment(msn)
        if segment is None:
            return bool(self.segments) and msn < self.segments[0].msn
        if part is None:
            return segment.complete
        return segment.complete or part < len(segment.parts)

    def upcoming(self, msn: int, part: int | None) -> bool:
        """Whether (`msn`, `part`) is the next thing this stream will produce, or close to it: worth
        holding a request for (LL-HLS blocking reload and preload hints) rather than refusing it."""
        if self.ended:
            return False
        last = self.segments[-1] if self.segments else None
        if last is None:
            return msn <= self.next_msn + 1
        return last.msn <= msn <= last.msn + 2

    async def wait(self, ready: Callable[[], bool], within: float) -> bool:
        """Wait up to `within` s for `ready()`; whether it became true."""
        try:
            async with asyncio.timeout(within):
                while not ready():
                    await self._changed.wait()
        except TimeoutError:
            return ready()
        return True

    def target_duration(self) -> int:
        longest = max((s.duration for s in self.segments if s.complete), default=0.0)
        return max(1, math.ceil(self.settings.segment_s), round(longest))

    def playlist(self) -> str:
        return render_playlist(self)


def _pdt(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_playlist(stream: HlsStream) -> str:
    """The media playlist: the rolling window, parts for the newest segments and a preload hint (LL-HLS)."""
    settings = stream.settings
    segments = [s for s in stream.segments if s.parts]
    part_s = settings.part_s
    target = stream.target_duration()
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{9 if part_s else 7}", f"#EXT-X-TARGETDURATION:{target}"]
    if part_s:
        hold = max(3 * part_s, 0.5)
        lines.append(f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={hold:.3f}")
        lines.append(f"#EXT-X-PART-INF:PART-TARGET={part_s:.3f}")
    first = segments[0].msn if segments else stream.next_msn
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    if stream.init is not None:
        lines.append(f'#EXT-X-MAP:URI="{stream.generation}-init.mp4"')
    # Parts are listed for the segments of the last three target durations (RFC 8216bis §4.4.4.9).
    recent_from = len(segments)
    span = 0.0
    while recent_from > 0 and span < 3 * target:
        recent_from -= 1
        span += segments[recent_from].duration
    for i, segment in enumerate(segments):
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(segment.started_at)}")
        if part_s and i >= recent_from:
            for part in segment.parts:
                attrs = f'DURATION={part.duration:.5f},URI="{stream.generation}-{part.msn}.{part.index}.m4s"'
                lines.append("#EXT-X-PART:" + attrs + (",INDEPENDENT=YES" if part.independent else ""))
        if segment.complete:
            lines.append(f"#EXTINF:{segment.duration:.5f},")
            lines.append(f"{stream.generation}-{segment.msn}.m4s")
    if stream.ended:
        lines.append("#EXT-X-ENDLIST")
    elif part_s and stream.init is not None:
        last = segments[-1] if segments else None
        if last is None:
            msn, index = stream.next_msn, 0
        elif last.complete:
            msn, index = last.msn + 1, 0
        else:
            msn, index = last.msn, len(last.parts)
        lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{stream.generation}-{msn}.{index}.m4s"')
    return "\n".join(lines) + "\n"
