"""The alert outbox: every alert is stored (once per key) before anyone tries to send it.

Rows live in `alert_outbox` (media/store); a row is pending until `sent_at` is set, which
happens in the same transaction as the `alert_sent` event, right after the API confirms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.alerts.rules import Alert
from media.events import RoomEvent
from media.store.alerts import enqueue_alert, pending_alerts
from media.store.db import Database
from media.store.events import insert_events
from media.store.models import AlertOutbox
from media.store.types import utcnow


@dataclass(frozen=True)
class Queued:
    """A stored alert as the sender sees it."""

    id: int
    key: str
    kind: str
    severity: str
    text: str
    room_id: str
    created_at: datetime

    @classmethod
    def of(cls, row: AlertOutbox) -> Queued:
        room = str((row.data or {}).get("room") or row.key.split(":", 1)[0])
        return cls(row.id, row.key, row.kind, row.severity, row.text, room, row.created_at)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.changed = asyncio.Event()  # set when something new is queued here; the sender also polls

    async def put(self, alert: Alert) -> bool:
        """Store `alert`; False when its key was already stored (a repeat is not an alert)."""
        async with self.db.sessions() as s, s.begin():
            recorded = await enqueue_alert(
                s,
                alert.key,
                alert.kind,
                alert.severity,
                alert.text,
                data={"room": alert.room_id, **alert.data},
            )
        if recorded.created:
            self.changed.set()
        return recorded.created

    async def pending(self, limit: int = 500) -> list[Queued]:
        """Unsent alerts, oldest first."""
        async with self.db.sessions() as s:
            return [Queued.of(row) for row in await pending_alerts(s, limit=limit)]

    async def mark_sent(self, items: Sequence[Queued]) -> None:
        """The API confirmed a message carrying `items`: mark them and log `alert_sent`, in one go."""
        now = utcnow()
        async with self.db.sessions() as s, s.begin():
            result = await s.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id.in_([i.id for i in items]), AlertOutbox.sent_at.is_(None))
                .values(sent_at=now, attempts=AlertOutbox.attempts + 1)
                .returning(AlertOutbox.id)
                .execution_options(synchronize_session=False)
            )
            marked = {row[0] for row in result}
            sent = [
                RoomEvent(
                    item.room_id, "alert_sent", now.timestamp(), data={"key": item.key, "kind": item.kind}
                )
                for item in items
                if item.id in marked
            ]
            await insert_events(s, sent)

    async def mark_failed(self, items: Sequence[Queued], error: str) -> None:
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id.in_([i.id for i in items]))
                .values(attempts=AlertOutbox.attempts + 1, last_error=error[:500])
                .execution_options(synchronize_session=False)
            )

    async def recent(self, room_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The room's latest alerts, newest first, with their delivery state (for the studio)."""
        query = (
            select(AlertOutbox)
            .where(AlertOutbox.key.startswith(f"{room_id}:", autoescape=True))
            .order_by(AlertOutbox.id.desc())
            .limit(limit)
        )
        async with self.db.sessions() as s:
            rows = (await s.scalars(query)).all()
        return [
            {
                "id": row.id,
                "key": row.key,
                "kind": row.kind,
                "severity": row.severity,
                "text": row.text,
                "created_at": row.created_at.isoformat(),
                "sent": row.sent_at is not None,
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "attempts": row.attempts,
                "last_error": row.last_error,
            }
            for row in rows
        ]
