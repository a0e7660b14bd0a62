"""What the hub hands its in-process subscribers (`RoomEvent`, one per logged event) and the
error its operations refuse with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from media.events import RoomEvent

Listener = Callable[[RoomEvent], Awaitable[None] | None]


class HubError(Exception):
    """An operation the hub refuses; `code` is a catalogue key suffix and an `error` code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


__all__ = ["HubError", "Listener", "RoomEvent"]
