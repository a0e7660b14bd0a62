"""The show clock: where in the script the show is at a moment of real time (pure).

A run starts at `started_at` (epoch seconds) and its clock runs `speed` times faster than
real time (rehearsals). `shift` (show seconds) delays the rest of the show when positive;
a pause freezes the clock and, on resume, the paused time is folded into `shift`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

# What a run's clock may be set to: every time it computes stays a real date. The team's
# controls are bounded by these; a stored run outside them is ended at start-up.
MIN_SPEED = 0.01
MAX_SPEED = 1000.0
MAX_SHIFT_STEP = 24 * 3600.0  # show seconds one `shift` may move the rest of the show
MAX_SHIFT = 1e9  # show seconds a run may be shifted in all (pauses fold into it too)


def clock_problem(speed: float, shift: float = 0.0) -> str | None:
    """Why a clock with this speed and shift cannot run (`bad_speed`, `bad_shift`), or None."""
    if not (math.isfinite(speed) and MIN_SPEED <= speed <= MAX_SPEED):
        return "bad_speed"
    if not (math.isfinite(shift) and abs(shift) <= MAX_SHIFT):
        return "bad_shift"
    return None


@dataclass(frozen=True)
class ShowClock:
    started_at: float
    speed: float = 1.0
    shift: float = 0.0
    paused_at: float | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be > 0")

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def offset(self, now: float) -> float:
        """Show seconds since the start of the script at real time `now` (frozen while paused)."""
        at = now if self.paused_at is None else min(now, self.paused_at)
        return (at - self.started_at) * self.speed - self.shift

    def real_time(self, offset: float) -> float:
        """The real time (epoch seconds) at which a running clock reaches `offset`."""
        return self.started_at + (offset + self.shift) / self.speed

    def real_seconds(self, show_seconds: float) -> float:
        """How long `show_seconds` of the script last in real time."""
        return show_seconds / self.speed

    def pause(self, now: float) -> ShowClock:
        return self if self.paused_at is not None else dataclasses.replace(self, paused_at=now)

    def resume(self, now: float) -> ShowClock:
        if self.paused_at is None:
            return self
        held = max(0.0, now - self.paused_at) * self.speed
        return dataclasses.replace(self, paused_at=None, shift=self.shift + held)

    def shifted(self, show_seconds: float) -> ShowClock:
        return dataclasses.replace(self, shift=self.shift + show_seconds)
