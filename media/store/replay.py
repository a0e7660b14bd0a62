"""What the replay page (/replay/{room}/{run}) plays beside a show's recording: the run, its recordings,
and the chat and the pinned product cards as they happened, each with its moment (epoch seconds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import EventRow, ShowRun
from media.store.recordings import PRELUDE, Recording, run_recordings

CHAT_ROLES = ("viewer", "bot", "team", "host")


@dataclass(frozen=True)
class Replay:
    run_id: int
    room_id: str
    show_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    speed: float
    recordings: tuple[Recording, ...]
    chat: list[dict[str, Any]] = field(default_factory=list)  # {at, nickname, role, text, message_id}
    pins: list[dict[str, Any]] = field(default_factory=list)  # {at, sku}: sku None = unpinned
    orders: list[dict[str, Any]] = field(default_factory=list)  # {at, sku, amount}


async def load_replay(session: AsyncSession, room_id: str, run_id: int) -> Replay | None:
    """The run `run_id` of `room_id` with what the replay shows; None when the room has no such run."""
    run = await session.scalar(select(ShowRun).where(ShowRun.id == run_id, ShowRun.room_id == room_id))
    if run is None:
        return None
    last = await session.scalar(select(func.max(EventRow.ts)).where(EventRow.run_id == run_id))
    end = run.ended_at or last or run.started_at
    recordings = await run_recordings(session, room_id, run.started_at, end)
    # The recordings may start before 开播 and end after it: their chat and cards come along.
    since = min([run.started_at, *(r.started_at for r in recordings)])
    until = max([end, *(r.saved_at for r in recordings if r.saved_at is not None)])
    rows = await session.execute(
        select(EventRow.ts, EventRow.kind, EventRow.data)
        .where(
            EventRow.room_id == room_id,
            EventRow.kind.in_(("chat", "message_deleted", "pin", "order")),
            EventRow.ts >= since,
            EventRow.ts <= until,
        )
        .order_by(EventRow.id)
    )
    chat: list[dict[str, Any]] = []
    pins: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    deleted: set[str] = set()
    for ts, kind, data in rows:
        data = data or {}
        at = ts.timestamp()
        if kind == "chat" and data.get("role") in CHAT_ROLES:
            chat.append(
                {
                    "at": at,
                    "message_id": data.get("message_id"),
                    "nickname": str(data.get("nickname") or ""),
                    "role": data.get("role"),
                    "text": str(data.get("text") or ""),
                }
            )
        elif kind == "message_deleted":
            deleted.add(str(data.get("message_id")))
        elif kind == "pin":
            pins.append({"at": at, "sku": data.get("sku")})
        elif kind == "order":
            orders.append({"at": at, "sku": data.get("sku"), "amount": data.get("amount")})
    # What was pinned when the first recording began (the card on screen from its first frame).
    before = await session.scalar(
        select(EventRow.data)
        .where(
            EventRow.room_id == room_id,
            EventRow.kind == "pin",
            EventRow.ts < since,
            EventRow.ts >= since - PRELUDE,
        )
        .order_by(EventRow.id.desc())
        .limit(1)
    )
    if before and before.get("sku"):
        pins.insert(0, {"at": since.timestamp(), "sku": before.get("sku")})
    return Replay(
        run_id=run.id,
        room_id=room_id,
        show_id=run.show_id,
        started_at=run.started_at,
        ended_at=end,
        speed=run.speed,
        recordings=recordings,
        chat=[line for line in chat if str(line["message_id"]) not in deleted],
        pins=pins,
        orders=orders,
    )
