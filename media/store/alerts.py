"""The alert outbox: alerts are stored (once per key) before they are sent, then marked sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import AlertOutbox
from media.store.once import Recorded, insert_once
from media.store.types import utcnow


async def enqueue_alert(
    session: AsyncSession,
    key: str,
    kind: str,
    severity: str,
    text: str,
    *,
    data: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> Recorded[AlertOutbox]:
    """Queue an alert; a repeated `key` reports the queued one (`created=False`)."""
    values = {
        "key": key,
        "kind": kind,
        "severity": severity,
        "text": text,
        "data": dict(data or {}),
        "created_at": created_at or utcnow(),
        "attempts": 0,
    }
    return await insert_once(session, AlertOutbox, values, ("key",))


async def pending_alerts(session: AsyncSession, *, limit: int = 100) -> Sequence[AlertOutbox]:
    """Alerts not yet sent, oldest first."""
    query = select(AlertOutbox).where(AlertOutbox.sent_at.is_(None)).order_by(AlertOutbox.id).limit(limit)
    return (await session.scalars(query)).all()


async def mark_alert_sent(session: AsyncSession, alert_id: int, *, sent_at: datetime | None = None) -> bool:
    """Record a delivery; False when the alert was already marked sent."""
    result = await session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == alert_id, AlertOutbox.sent_at.is_(None))
        .values(sent_at=sent_at or utcnow(), attempts=AlertOutbox.attempts + 1)
        .returning(AlertOutbox.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def mark_alert_failed(session: AsyncSession, alert_id: int, error: str) -> None:
    """Count a failed attempt and keep its error; the alert stays pending."""
    await session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == alert_id)
        .values(attempts=AlertOutbox.attempts + 1, last_error=error)
        .execution_options(synchronize_session=False)
    )
