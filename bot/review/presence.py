"""Who was in the room when: viewers' connected stretches (one viewer's sockets merged) and concurrency.

Times are seconds from the run's start; a stretch is `(start, end)`, read as the half-open `[start, end)`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping

Span = tuple[float, float]


class Presence:
    """Folds viewer_joined / viewer_left into connected stretches per viewer."""

    def __init__(self) -> None:
        self._open: dict[str, dict[str, float]] = {}  # viewer -> connection -> joined at
        self._since: dict[str, float] = {}  # viewer -> start of the current stretch
        self._spans: dict[str, list[Span]] = {}

    def joined(self, viewer: str, connection: str, t: float) -> None:
        sockets = self._open.setdefault(viewer, {})
        if not sockets:
            self._since[viewer] = t
        sockets[connection] = t

    def left(self, viewer: str, connection: str, t: float) -> None:
        sockets = self._open.get(viewer)
        if sockets and connection in sockets:
            del sockets[connection]
            if not sockets:
                self._spans.setdefault(viewer, []).append((self._since.pop(viewer), t))
            return
        # A socket that leaves without a join in the log was connected before the run began.
        self._spans.setdefault(viewer, []).append((min(0.0, t), t))

    def online_now(self) -> int:
        """Viewers with at least one socket open."""
        return sum(1 for sockets in self._open.values() if sockets)

    def spans(self, end: float) -> dict[str, list[Span]]:
        """Each viewer's stretches clipped to `[0, end]`, open ones closed at `end`, overlaps merged."""
        out: dict[str, list[Span]] = {}
        viewers = set(self._spans) | {v for v, s in self._open.items() if s}
        for viewer in viewers:
            raw = list(self._spans.get(viewer, ()))
            if self._open.get(viewer):
                raw.append((self._since[viewer], end))
            merged = merge(
                (max(s, 0.0), min(e, end))
                for s, e in raw
                if e >= 0.0 and s <= end and max(s, 0.0) <= min(e, end)
            )
            if merged:
                out[viewer] = merged
        return out


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching stretches joined."""
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def overlaps(spans: Iterable[Span], windows: Iterable[Span]) -> bool:
    """True if any stretch shares a positive length of time with any window."""
    windows = list(windows)
    return any(s < b and a < e for s, e in spans for a, b in windows)


class Concurrency:
    """How many distinct viewers were connected, as a step function over the run."""

    def __init__(self, spans_by_viewer: Mapping[str, list[Span]]) -> None:
        deltas: list[tuple[float, int]] = []
        for spans in spans_by_viewer.values():
            for s, e in spans:
                if e > s:
                    deltas.append((s, 1))
                    deltas.append((e, -1))
        # At one instant leaves count before joins, so a hand-over is not a peak.
        deltas.sort()
        self.times: list[float] = []
        self.counts: list[int] = []
        count = 0
        for t, delta in deltas:
            count += delta
            if self.times and self.times[-1] == t:
                self.counts[-1] = count
            else:
                self.times.append(t)
                self.counts.append(count)

    def at(self, t: float) -> int:
        i = bisect_right(self.times, t) - 1
        return self.counts[i] if i >= 0 else 0

    def peak(self, a: float, b: float) -> tuple[int, float]:
        """The highest count in `[a, b)` and the first moment it was reached."""
        best, when = self.at(a), a
        i = bisect_right(self.times, a)
        while i < len(self.times) and self.times[i] < b:
            if self.counts[i] > best:
                best, when = self.counts[i], self.times[i]
            i += 1
        return best, when

    def steps(self) -> list[tuple[float, int]]:
        return list(zip(self.times, self.counts, strict=True))
