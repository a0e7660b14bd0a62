"""Writing the event log with group commit: everyone waiting to write shares one transaction.

A caller awaits `append(...)`; when it returns, its events are committed and it may
broadcast. A `chat` event also gets its `chat_messages` row (whose id becomes the event's
`message_id`) and a `viewer_joined` event its `viewers` row (first and last seen), in the
same transaction. Nothing is broadcast that is not in the log: when the database cannot be
written for a while (read-only, locked, unreachable) the batch is retried with backoff for up to
`retry_for` seconds, the callers waiting, before it fails them; a batch that fails for what is in it
(a constraint, bad data) is written caller by caller, so only the caller whose events are wrong fails.
`health()` says whether the log can be written now, for `/healthz`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import insert

from media.events import RoomEvent
from media.hub.clock import as_datetime
from media.store.db import Database, transient
from media.store.events import insert_events
from media.store.models import ChatMessage, Viewer
from media.store.once import dialect_insert

log = logging.getLogger(__name__)

RETRY_FOR = 30.0  # seconds a batch is retried while the database cannot be written
SLOW_WRITE = 5.0  # a write under way this long makes the log "degraded" (the database is stuck)

Batch = list[tuple[list[RoomEvent], asyncio.Future[list[int | None]]]]


class EventLog:
    """One writer task per hub; `append` returns the message ids of chat lines (else None)."""

    def __init__(
        self, db: Database, *, coalesce_s: float = 0.02, max_batch: int = 500, retry_for: float = RETRY_FOR
    ) -> None:
        self.db = db
        self.coalesce_s = coalesce_s
        self.max_batch = max_batch
        self.retry_for = retry_for
        self._queue: asyncio.Queue[tuple[list[RoomEvent], asyncio.Future[list[int | None]]] | None] = (
            asyncio.Queue()
        )
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.failed = 0  # events given up on (their callers got the error)
        self.failing_since: float | None = None  # epoch seconds of the first failed write in a row
        self.last_error: str | None = None
        self._writing_since: float | None = None  # monotonic start of the write under way
        self._outage_started = 0.0  # monotonic time of the first failed write of the outage

    def health(self) -> dict[str, Any]:
        """`{"database": {writable, error, since, queued}}`, plus `degraded: [reason]` when the log cannot
        be written now (the last write failed, or one has been under way for more than SLOW_WRITE s)."""
        writing = self._writing_since
        stuck = writing is not None and time.monotonic() - writing > SLOW_WRITE
        state: dict[str, Any] = {
            "writable": self.failing_since is None and not stuck,
            "error": self.last_error if self.failing_since is not None else None,
            "since": self.failing_since,
            "queued": self._queue.qsize(),
        }
        out: dict[str, Any] = {"database": state}
        if self.failing_since is not None:
            out["degraded"] = [f"database: the event log cannot be written: {self.last_error}"]
        elif stuck:
            out["degraded"] = [f"database: a write of the event log has waited {SLOW_WRITE:g} s or more"]
        return out

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
            await self._write_batch(batch)

    async def _write_batch(self, batch: Batch) -> None:
        """Write one batch, retrying while the database is unwritable; settle every caller's future.

        The retry window runs from the start of the outage, not of each batch: once the database has
        been unwritable for `retry_for` seconds every batch gets one try, so callers hear of it at once
        instead of queueing behind one half-minute wait per batch."""
        delay = 0.1
        while True:
            self._writing_since = time.monotonic()
            try:
                results = await self._write([lines for lines, _ in batch])
            except Exception as exc:
                now = time.monotonic()
                if transient(exc):
                    self.last_error = _describe(exc)
                    if self.failing_since is None:
                        self.failing_since, self._outage_started = time.time(), now
                        log.error("event log: the database cannot be written (%s); retrying", self.last_error)
                    if now - self._outage_started < self.retry_for:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 2.0)
                        continue
                elif len(batch) > 1:
                    # What one caller wrote is wrong: the others must not fail with it.
                    for item in batch:
                        await self._write_batch([item])
                    return
                log.exception("event log write failed (%d callers); given up", len(batch))
                self.failed += sum(len(lines) for lines, _ in batch)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            finally:
                self._writing_since = None
            if self.failing_since is not None:
                log.warning("event log: the database can be written again")
            self.failing_since = None
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
            return

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


def _describe(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first}"[:300]
