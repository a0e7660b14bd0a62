"""What goes out in one Telegram message, and when the next one may go (pure).

One pending alert is sent as it is; several are merged into a digest that carries every
one of them whole, as many as fit in Telegram's 4096 characters. Each alert carries a
short tag derived from its key, so a message sent twice (see sender.py) shows up as such.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import bot.alerts.texts  # noqa: F401  (registers the texts)
from media.i18n import t

TELEGRAM_LIMIT = 4096
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵", "reply": "💬"}
HEADER_ROOM = 64  # characters kept for a digest's header line


class Pending(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def created_at(self) -> dt.datetime: ...


def tag(key: str) -> str:
    """`#1a2b3c4d`: short, stable for the key, and searchable in the group."""
    return "#a" + hashlib.sha256(key.encode()).hexdigest()[:8]


def _entry(item: Pending, room: int, *, stamped: bool, tz: dt.tzinfo | None) -> str:
    icon = ICONS.get(item.severity, "•")
    stamp = item.created_at.astimezone(tz).strftime("%H:%M:%S ") if stamped else ""
    suffix = f" {tag(item.key)}"
    head = f"{icon} {stamp}"
    text = item.text
    if len(head) + len(text) + len(suffix) > room:  # only an absurdly long alert; keep its start
        text = text[: max(0, room - len(head) - len(suffix) - 1)] + "…"
    return f"{head}{text}{suffix}"


def compose(
    items: Sequence[Pending], lang: str, *, limit: int = TELEGRAM_LIMIT, tz: dt.tzinfo | None = None
) -> tuple[str, int]:
    """The next message for `items` (oldest first): its text and how many items it carries."""
    if not items:
        raise ValueError("nothing to compose")
    if len(items) == 1:
        return _entry(items[0], limit, stamped=False, tz=tz), 1
    body: list[str] = []
    used = HEADER_ROOM
    for item in items:
        entry = _entry(item, limit - HEADER_ROOM - 2, stamped=True, tz=tz)
        if body and used + 2 + len(entry) > limit:
            break
        body.append(entry)
        used += 2 + len(entry)
    if len(body) == 1:  # the first alert fills a message on its own
        return _entry(items[0], limit, stamped=False, tz=tz), 1
    header = "📋 " + t(lang, "alerts.digest", count=len(body))
    return "\n\n".join([header, *body]), len(body)


@dataclass
class Pacer:
    """At most `messages` per `per` seconds into the group, spaced out, wider while alerts pile up.

    Messages are spaced `per / messages` apart (3 s for 20 a minute). Whenever a message had to
    carry several alerts (they piled up), the next gap doubles, up to `per / 2`; a message
    carrying a single alert brings it back. So a storm turns into a handful of digests instead
    of using up the group's whole allowance, while an urgent (critical) alert still only waits
    the base gap. The hard limit of `messages` in any `per` seconds holds regardless.
    """

    messages: int = 20
    per: float = 60.0
    sent: deque[float] = field(default_factory=deque)
    gap: float = 0.0

    def __post_init__(self) -> None:
        self.gap = self.spacing

    @property
    def spacing(self) -> float:
        return self.per / self.messages

    def wait(self, now: float, *, urgent: bool = False) -> float:
        """Seconds until the next message may go."""
        while self.sent and now - self.sent[0] >= self.per:
            self.sent.popleft()
        waits = [0.0]
        if self.sent:
            waits.append(self.sent[-1] + (self.spacing if urgent else self.gap) - now)
        if len(self.sent) >= self.messages:
            waits.append(self.sent[0] + self.per - now)
        return max(waits)

    def record(self, now: float, carried: int = 1) -> None:
        self.sent.append(now)
        self.gap = min(self.per / 2, self.gap * 2) if carried > 1 else self.spacing
