"""How lively the chat is, for `repeat` cues: viewer lines, the last bot line, the latest line."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from media.hub.events import RoomEvent


@dataclass
class ChatPulse:
    """Fed every chat line of one room (from the hub's subscribers, or the log at start-up)."""

    room_id: str
    viewer_lines: deque[float] = field(default_factory=lambda: deque(maxlen=20000))
    last_bot_at: float | None = None
    last_line: tuple[str, str | None] | None = None  # (role, cue) of the room's latest line
    last_post: dict[str, float] = field(default_factory=dict)  # cue id -> when it last posted

    def feed(self, ts: float, data: dict[str, Any]) -> None:
        role = str(data.get("role", "viewer"))
        cue = data.get("cue")
        if role == "viewer":
            if self.viewer_lines and ts < self.viewer_lines[-1]:
                ts = self.viewer_lines[-1]  # keep the deque sorted; lines from other instances may be late
            self.viewer_lines.append(ts)
        elif role == "bot":
            self.last_bot_at = ts if self.last_bot_at is None else max(self.last_bot_at, ts)
            if isinstance(cue, str):
                self.last_post[cue] = ts
        self.last_line = (role, cue if isinstance(cue, str) else None)

    def on_event(self, event: RoomEvent) -> None:
        if event.room_id == self.room_id and event.kind == "chat":
            self.feed(event.ts, event.data)

    def lines_since(self, since: float) -> int:
        return len(self.viewer_lines) - bisect.bisect_right(self.viewer_lines, since)

    def last_line_is(self, cue_id: str) -> bool:
        return self.last_line == ("bot", cue_id)
