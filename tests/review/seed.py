"""Writing a run and its event log straight into a database, as the room and the show runner would."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from media.events import RoomEvent
from media.store.db import Database
from media.store.events import insert_events
from media.store.models import ShowRun

ROOM = "shanye"


async def seed_run(
    db: Database,
    show_id: str,
    events: Iterable[RoomEvent],
    start: dt.datetime,
    end: dt.datetime | None,
    speed: float = 1.0,
    room_id: str = ROOM,
) -> int:
    """A run of `show_id`; events inside [start, end] carry its run id, the others none."""
    async with db.sessions() as session, session.begin():
        run = ShowRun(
            show_id=show_id,
            room_id=room_id,
            started_at=start,
            ended_at=end,
            speed=speed,
            status="ended" if end else "running",
        )
        session.add(run)
        await session.flush()
        run_id = run.id
        events = list(events)
        in_run = [start <= e.when and (end is None or e.when <= end) for e in events]
        await insert_events(
            session,
            [
                dataclasses.replace(e, room_id=room_id, run_id=run_id if inside else None)
                for e, inside in zip(events, in_run, strict=True)
            ],
        )
    return run_id


RULES_ROOM = "id: shanye\ntitle: 山野好物\n"
RULES_PRODUCTS = """
- sku: PAN-01
  name: 麦饭石不粘炒锅
  price: 299
  live_price: 159
  link: https://shop.example.com/item/pan-01
  stock: 300
- sku: KETTLE-02
  name: 电热水壶
  price: 129
  live_price: 79
  link: https://shop.example.com/item/kettle-02
  stock: 500
"""
RULES_SHOW = """
title: 手算场
starts_at: 2026-11-28T20:00:00+08:00
segments:
  - {id: warm, kind: 暖场, duration: 10m}
  - {id: reveal, kind: 产品亮相, duration: 10m, product: PAN-01}
"""
