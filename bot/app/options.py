"""How `liveroom run` (and `liveroom demo`, and the tests) want the server built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    start_show: str | None = None
    speed: float = 1.0
    new_run: bool = False  # `start_show` as a new run: a run still in progress is ended first (the demo)
    reload_interval: float = 0.5
    media_workers: int = 1
    record: bool | None = None  # record the host's stream whatever room.yaml says (the demo); None: room.yaml
