"""How `liveroom run` (and `liveroom demo`, and the tests) want the server built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    start_show: str | None = None
    speed: float = 1.0
    reload_interval: float = 0.5
    media_workers: int = 1
