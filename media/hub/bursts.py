"""Refused chat, counted in bursts: one `chat_rejected` row per viewer, reason and burst, not one per frame.

A burst is a run of refusals of one viewer for one reason with less than `gap` seconds between them (and
at most `longest` seconds in all). It is written once it is over: after the gap, when the viewer's last
socket leaves, or when the hub stops. Pure: the caller supplies the time and writes what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.hub.moderation import clean

BURST_GAP = 2.0  # seconds without a refusal that end a burst
BURST_LONGEST = 60.0  # a longer burst is written and a new one begins
TEXT_KEPT = 500  # characters of the burst's first refused line kept in the log


@dataclass
class Burst:
    viewer_id: str
    reason: str
    text: str  # the first refused line (control characters dropped, cut to TEXT_KEPT)
    started: float
    last: float
    count: int = 1

    def data(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "text": self.text,
            "count": self.count,
            "seconds": round(self.last - self.started, 3),
        }


class RejectedBursts:
    """The bursts still going on in one room."""

    def __init__(self, gap: float = BURST_GAP, longest: float = BURST_LONGEST) -> None:
        self.gap = gap
        self.longest = longest
        self._open: dict[tuple[str, str], Burst] = {}

    def __len__(self) -> int:
        return len(self._open)

    def refused(self, viewer_id: str, reason: str, text: str, now: float) -> list[Burst]:
        """Count one refused line; returns the burst it ended, if any (to be written)."""
        key = (viewer_id, reason)
        burst = self._open.get(key)
        if burst is not None and now - burst.last < self.gap and now - burst.started < self.longest:
            burst.count += 1
            burst.last = now
            return []
        self._open[key] = Burst(viewer_id, reason, clean(text)[:TEXT_KEPT], now, now)
        return [burst] if burst is not None else []

    def over(self, now: float) -> list[Burst]:
        """The bursts that have ended by `now` (taken out)."""
        done = [
            k for k, b in self._open.items() if now - b.last >= self.gap or now - b.started >= self.longest
        ]
        return [self._open.pop(k) for k in done]

    def of_viewer(self, viewer_id: str) -> list[Burst]:
        """The viewer's bursts, ended now (their last socket left)."""
        done = [k for k in self._open if k[0] == viewer_id]
        return [self._open.pop(k) for k in done]

    def all(self) -> list[Burst]:
        out, self._open = list(self._open.values()), {}
        return out
