"""Writing the event log with group commit: everyone waiting to write shares one transaction.

A caller awaits `append(...)`; when it returns, its events are committed and it may
broadcast. A `chat` event also gets its `chat_messages` row (whose id becomes the event's
`message_id`) and a `viewer_joined` event its `viewers` row (first and last seen), in the
same transaction. A failed transaction fails every caller in it, so nothing is broadcast
that is not in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import insert

from media.events import RoomEvent
from media.hub.clock import as_datetime
from media.store.db import Database
from media.store.events import insert_events
from media.store.models import ChatMessage, Viewer
from media.store.once import dialect_insert

log = logging.getLogger(__name__)


class EventLog:
    """One writer task per hub; `append` returns the message ids of chat lines (else None)."""

    def __init__(self, db: Database, *, coalesce_s: float = 0.02, max_batch: int = 500) -> None:
        self.db = db
        self.coalesce_s = coalesce_s
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[list[RoomEvent], asyncio.Future[list[int | None]]] | None] = (
            asyncio.Queue()
        )
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="eventlog-writer")

    async def stop(self) -> None:
        if self._task is not None:
            # The writer drains what is queued, then stops at the sentinel.
            self._queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def append(self, *lines: RoomEvent) -> list[int | None]:
        if self._task is None:
            raise RuntimeError("event log writer is not running")
        future: asyncio.Future[list[int | None]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((list(lines), future))
        return await future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            if self.coalesce_s:
                await asyncio.sleep(self.coalesce_s)
            while not self._queue.empty() and len(batch) < self.max_batch:
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            try:
                results = await self._write([lines for lines, _ in batch])
            except Exception as exc:
                log.exception("event log write failed (%d callers)", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _write(self, groups: list[list[RoomEvent]]) -> list[list[int | None]]:
        flat = [line for lines in groups for line in lines]
        async with self.db.sessions() as session, session.begin():
            chats = [line for line in flat if line.kind == "chat"]
            if chats:
                rows = [
                    {
                        "room_id": line.room_id,
                        "run_id": line.run_id,
                        "viewer_id": line.viewer_id,
                        "nickname": line.data["nickname"],
                        "role": line.data["role"],
                        "text": line.data["text"],
                        "ts": as_datetime(line.ts),
                        "reply_to": line.data.get("reply_to"),
                        "cue": line.data.get("cue"),
                    }
                    for line in chats
                ]
                ids = (
                    await session.scalars(
                        insert(ChatMessage).returning(ChatMessage.id, sort_by_parameter_order=True), rows
                    )
                ).all()
                for line, message_id in zip(chats, ids, strict=True):
                    line.data["message_id"] = message_id
            seen = {
                (line.room_id, line.viewer_id): line
                for line in flat
                if line.kind == "viewer_joined" and line.viewer_id
            }
            if seen:
                # One executemany for the whole batch: a join surge (thousands of viewers at
                # show start) used to cost one round trip per viewer while chat waited behind it.
                stmt = dialect_insert(session, Viewer)
                await session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["id"], set_={"last_seen": stmt.excluded.last_seen}
                    ),
                    [
                        {
                            "id": line.viewer_id,
                            "room_id": line.room_id,
                            "nickname": line.data.get("nickname") or "",
                            "first_seen": as_datetime(line.ts),
                            "last_seen": as_datetime(line.ts),
                        }
                        for line in seen.values()
                    ],
                )
            await insert_events(session, flat)
        self.written += len(flat)
        return [
            [line.data.get("message_id") if line.kind == "chat" else None for line in lines]
            for lines in groups
        ]
