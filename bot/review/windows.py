"""Where each segment of a show script fell in wall time for one run (a run at `--speed X` is X times shorter)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot.rules.models import ShowScript, WinnerOf


@dataclass(frozen=True, slots=True)
class SegmentWindow:
    """One segment's half-open window `[start, end)` in wall time; empty when the run ended before it."""

    index: int
    id: str
    kind: str
    title: str
    product: str | None
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


def segment_windows(
    script: ShowScript, run_start: dt.datetime, speed: float = 1.0, run_end: dt.datetime | None = None
) -> list[SegmentWindow]:
    """The script's segments placed on the run's clock: offset/speed after the start, clipped to the run's end."""
    if speed <= 0:
        raise ValueError("speed must be > 0")
    out: list[SegmentWindow] = []
    for index, (offset, segment) in enumerate(zip(script.segment_starts(), script.segments, strict=True)):
        start = run_start + dt.timedelta(seconds=offset / speed)
        end = start + dt.timedelta(seconds=segment.duration / speed)
        if run_end is not None:
            start = min(start, run_end)
            end = min(end, run_end)
        product = segment.product
        out.append(
            SegmentWindow(
                index=index,
                id=segment.id,
                kind=segment.kind,
                title=segment.title,
                product=f"winner_of:{product.winner_of}" if isinstance(product, WinnerOf) else product,
                start=start,
                end=end,
            )
        )
    return out


def place_segments(
    script: ShowScript,
    run_start: dt.datetime,
    speed: float = 1.0,
    run_end: dt.datetime | None = None,
    observed: dict[str, dt.datetime] | None = None,
) -> list[SegmentWindow]:
    """Segment windows, moved to where the log says segments really started (`segment_started`).

    A segment the log has no start for keeps the delay of the last one it has (a paused run shifts
    everything after the pause); a window ends no later than the next one starts.
    """
    observed = observed or {}
    planned = segment_windows(script, run_start, speed)
    delay = dt.timedelta(0)
    moved: list[SegmentWindow] = []
    for window in planned:
        if window.id in observed:
            delay = observed[window.id] - window.start
        moved.append(replace(window, start=window.start + delay, end=window.end + delay))
    out: list[SegmentWindow] = []
    for i, window in enumerate(moved):
        end = window.end
        if i + 1 < len(moved):
            end = min(end, moved[i + 1].start)
        start = window.start
        if run_end is not None:
            start, end = min(start, run_end), min(end, run_end)
        out.append(replace(window, start=start, end=max(start, end)))
    return out
