"""What the hub tells in-process subscribers (the bot): one `RoomEvent` per logged event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RoomEvent:
    """A line of the event log as the hub wrote it (or, for `chat`, as another instance did).

    `kind` and `data` follow docs/events.md. `local` is False only for chat lines that
    arrived over the bus from another instance (`instance` names it).
    """

    room_id: str
    kind: str
    ts: float
    viewer_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    instance: str = ""
    local: bool = True

    @property
    def is_viewer_chat(self) -> bool:
        return self.kind == "chat" and self.data.get("role") == "viewer"


Listener = Callable[[RoomEvent], Awaitable[None] | None]


class HubError(Exception):
    """An operation the hub refuses; `code` is a catalogue key suffix and an `error` code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
