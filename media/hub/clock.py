"""The hub's sense of time, injectable so tests move it instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock tests advance by hand."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def as_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
