"""The one event type: a line of the room's event log, from the hub to the log to every listener.

The hub builds it, the event log stores it (`media.store.events`), in-process subscribers
(the bot) hear it, and the review reads it back. `kind` and `data` follow docs/events.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RoomEvent:
    """One event. `ts` is seconds since the epoch (UTC); `id` is the log's row id once stored.

    `local` is False only for chat lines that arrived over the bus from another instance
    (`instance` names the instance that logged it).
    """

    room_id: str
    kind: str
    ts: float
    viewer_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    instance: str = ""
    local: bool = True
    id: int | None = None

    @classmethod
    def at(
        cls,
        when: datetime,
        kind: str,
        viewer_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        *,
        room_id: str = "",
        run_id: int | None = None,
        id: int | None = None,
    ) -> RoomEvent:
        """The event at a tz-aware `when` (how the review and hand-built logs name times)."""
        return cls(room_id, kind, when.timestamp(), viewer_id, dict(data or {}), run_id, id=id)

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def is_viewer_chat(self) -> bool:
        return self.kind == "chat" and self.data.get("role") == "viewer"
