"""The hub's machinery: active rooms, the event log writer, the bus, batching and subscribers.

Operations (chat, commerce, votes, lotteries) build on this in their own modules; each
writes the event log, then calls `dispatch` to apply ops here and on every other instance.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

import media.hub.texts  # noqa: F401  (registers the texts)
from media.config import RoomSettings
from media.guessing import CredentialBackoff
from media.hub.bursts import Burst, RejectedBursts
from media.hub.bus import Bus, LocalBus
from media.hub.clock import Clock, SystemClock
from media.hub.connections import SLOW_BUFFER_BYTES, SLOW_DROP_S, Connection, dumps, text_frame
from media.hub.eventlog import EventLog
from media.hub.events import HubError, Listener, RoomEvent
from media.hub.identity import ViewerIds
from media.hub.limits import REFUSALS, AddressLimits
from media.hub.metrics import HubMetrics
from media.hub.protocol import (
    ChatLine,
    CouponStockOut,
    LotteryUpdate,
    Message,
    MuteChanged,
    Notice,
    Out,
    ProductSoldOut,
    ProductStock,
    Stats,
    VoteUpdate,
)
from media.hub.recovery import count_run, load_room, stocks
from media.hub.state import OPS, Counted, PresenceReport, RoomState, RunChanged
from media.i18n import t
from media.rooms import RoomDirectory
from media.store.db import Database
from media.store.orders import sold_out_skus, stock_left

log = logging.getLogger(__name__)

TALLY_EVERY = 0.5
STATS_EVERY = 1.0
PRESENCE_LOG_EVERY = 5.0
LIMITS_REPORT_EVERY = 60.0  # seconds between `limits_refused` rows of a room (when something was refused)


@dataclass(eq=False)
class Room:
    """A room active on this instance: its state, its sockets here, and what waits to go out."""

    state: RoomState
    connections: dict[str, Connection] = field(default_factory=dict)
    frames_due: list[tuple[Out, float]] = field(default_factory=list)
    recent_chat: dict[str, deque[float]] = field(default_factory=dict)
    pending_likes: dict[str, int] = field(default_factory=dict)
    likes_writing: bool = False  # a flush of the pending likes is under way
    coupon_links: dict[str, str] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)  # vote/lottery ids being closed or drawn here
    rejected: RejectedBursts = field(default_factory=RejectedBursts)  # refused chat, counted per burst
    presence_logged: int = 0  # the online count of the last `presence` line written
    limits_reported: float = 0.0  # monotonic time of the last `limits_refused` report

    @property
    def id(self) -> str:
        return self.state.settings.id

    def sockets_of(self, viewer_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.viewer_id == viewer_id]


class HubCore:
    def __init__(
        self,
        rooms: RoomDirectory,
        db: Database,
        *,
        secret: str,
        bus: Bus | None = None,
        instance: str | None = None,
        clock: Clock | None = None,
        batch_interval: float = 0.1,
        coalesce_s: float = 0.02,
        backoff: CredentialBackoff | None = None,
        viewer_key: bytes | None = None,
    ) -> None:
        self.directory = rooms
        self.db = db
        self.bus: Bus = bus or LocalBus()
        self.instance = instance or f"i-{secrets.token_hex(4)}"
        self.clock: Clock = clock or SystemClock()
        self.batch_interval = batch_interval
        self.ids = ViewerIds(viewer_key or secret)  # `secret` (the webhook key) only without a key of its own
        self.limits = AddressLimits()
        self.backoff = backoff or CredentialBackoff()  # the app's credential checks; reported here
        self._credentials_reported = time.monotonic()
        # Sockets too far behind: skipped above this many unsent bytes, dropped after this long there.
        self.slow_buffer_bytes = SLOW_BUFFER_BYTES
        self.slow_drop_s = SLOW_DROP_S
        self.secret = secret
        self.metrics = HubMetrics()
        self.eventlog = EventLog(db, coalesce_s=coalesce_s)
        self._rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self.started = False
        rooms.on_change(self._settings_changed)

    # -- lifecycle

    async def start(self) -> None:
        self.eventlog.start()
        await self.bus.start(self._on_bus)
        self._ticker = asyncio.create_task(self._tick_forever(), name="hub-ticker")
        self.started = True

    async def stop(self) -> None:
        self.started = False
        closing = [
            conn.close(1001, b"server shutting down")
            for r in self._rooms.values()
            for conn in r.connections.values()
        ]
        await asyncio.gather(*closing, return_exceptions=True)
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for room in self._rooms.values():
            await self._flush_likes(room)
            await self.log_bursts(room, room.rejected.all())
            await self._report_limits(room)
        await self._report_credentials()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.eventlog.stop()
        await self.bus.close()

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- rooms

    def settings(self, room_id: str) -> RoomSettings:
        settings = self.directory.get(room_id)
        if settings is None:
            raise HubError("unknown_room", room_id)
        return settings

    async def room(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is not None:
            return room
        settings = self.settings(room_id)
        lock = self._loading.setdefault(room_id, asyncio.Lock())
        async with lock:
            room = self._rooms.get(room_id)
            if room is None:
                state = await load_room(self.db, settings, self.instance, self.clock.time())
                room = Room(state)
                self._rooms[room_id] = room
        return room

    def connection_count(self) -> int:
        return sum(len(room.connections) for room in self._rooms.values())

    def active(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def _settings_changed(self, settings: RoomSettings) -> None:
        room = self._rooms.get(settings.id)
        if room is not None:
            room.state.settings = settings

    def lang(self, room: Room) -> str:
        return room.state.settings.language

    # -- writing the log

    def line(
        self,
        room: Room,
        kind: str,
        *,
        viewer_id: str | None = None,
        data: dict[str, Any] | None = None,
        ts: float | None = None,
    ) -> RoomEvent:
        """An event of `room` now (or at `ts`), in the room's show run, from this instance."""
        return RoomEvent(
            room_id=room.id,
            kind=kind,
            ts=self.clock.time() if ts is None else ts,
            viewer_id=viewer_id,
            data=dict(data or {}),
            run_id=room.state.run_id,
            instance=self.instance,
        )

    async def log(self, *events: RoomEvent) -> list[int | None]:
        """Append to the event log (group-committed), then tell subscribers; the chat message
        ids of `chat` events (else None)."""
        ids = await self.eventlog.append(*events)
        self.announce(*events)
        return ids

    def announce(self, *events: RoomEvent) -> None:
        """Tell subscribers about events already committed (an operation's own transaction)."""
        for event in events:
            self.emit(event)

    # -- subscribers

    def subscribe(self, listener: Listener) -> Any:
        """Call `listener(event)` for every event this instance logs (see `RoomEvent`).

        Returns a function that unsubscribes. Async listeners run as tasks; errors are logged.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: RoomEvent) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(event)
                if inspect.isawaitable(result):
                    self.spawn(self._guarded(result))
            except Exception:
                log.exception("room listener failed on %s", event.kind)

    async def _guarded(self, awaitable: Any) -> None:
        try:
            await awaitable
        except Exception:
            log.exception("room listener failed")

    # -- dispatch: apply here, publish to the others

    async def dispatch(self, room: Room, *ops: Message, arrived: float | None = None) -> None:
        arrived = arrived if arrived is not None else time.perf_counter()
        for op in ops:
            self._apply(room, op, arrived)
        await self.bus.publish(room.id, self.instance, [op.model_dump(mode="json") for op in ops])

    def _apply(self, room: Room, op: Message, arrived: float) -> None:
        for out in room.state.apply(op):
            room.frames_due.append((out, arrived))
        if isinstance(op, MuteChanged):
            key = "hub.notice.muted" if op.muted else "hub.notice.unmuted"
            for conn in room.sockets_of(op.viewer_id):
                conn.send(Notice(text=t(self.lang(room), key), level="warn"))

    async def _on_bus(self, room_id: str, origin: str, raw: list[dict[str, Any]]) -> None:
        if origin == self.instance or room_id not in self.directory:
            return
        try:
            ops = OPS.validate_python(raw)
        except ValidationError:
            log.warning("bus: ops from %s for %s do not validate; ignored", origin, room_id)
            return
        room = await self.room(room_id)
        arrived = time.perf_counter()
        for op in ops:
            self._apply(room, op, arrived)
            if isinstance(op, ChatLine):
                self.emit(
                    RoomEvent(
                        room_id,
                        "chat",
                        op.ts,
                        op.viewer_id,
                        {
                            "message_id": op.id,
                            "role": op.role,
                            "nickname": op.nickname,
                            "text": op.text,
                            "reply_to": op.reply_to,
                            "cue": op.cue,
                        },
                        room.state.run_id,
                        origin,
                        local=False,
                    )
                )
            elif isinstance(op, RunChanged):
                self.spawn(self._recount(room))

    async def set_run(self, room_id: str, run_id: int | None) -> None:
        """The show run whose id events carry from now on (None: outside a run)."""
        room = await self.room(room_id)
        await self._flush_likes(room)
        await self.dispatch(room, RunChanged(run_id=run_id))
        await self._recount(room)

    async def _recount(self, room: Room) -> None:
        """Read the run's counts and stock-outs back from the database (every instance does, for itself)."""
        run_id = room.state.run_id
        async with self.db.sessions() as s:
            room.state.counters = await count_run(s, room.id, run_id)
            sold_out = await sold_out_skus(s, room.id, run_id)
            left = await stock_left(s, room.id, stocks(room.state.settings), run_id)
        arrived = time.perf_counter()
        for sku in sorted(sold_out - room.state.sold_out):
            self._apply(room, ProductSoldOut(sku=sku, run_id=run_id), arrived)
        for sku, units in sorted(left.items()):
            self._apply(room, ProductStock(sku=sku, left=units, run_id=run_id), arrived)

    # -- batching

    async def _tick_forever(self) -> None:
        last_tally = last_stats = last_presence = 0.0
        while True:
            await asyncio.sleep(self.batch_interval)
            now_mono = time.monotonic()
            try:
                for room in list(self._rooms.values()):
                    if now_mono - last_tally >= TALLY_EVERY:
                        self._queue_tallies(room)
                    if now_mono - last_stats >= STATS_EVERY:
                        await self._every_second(room)
                    # While anyone watches here, and once more when the last viewer has gone: the drop to 0
                    # is what the alert rules and contingency plans need to see.
                    if now_mono - last_presence >= PRESENCE_LOG_EVERY and (
                        room.state.local_online or room.presence_logged
                    ):
                        self.spawn(self._log_presence(room))
                    self.flush(room)
            except Exception:
                log.exception("hub tick failed")
            if now_mono - last_tally >= TALLY_EVERY:
                last_tally = now_mono
            if now_mono - last_stats >= STATS_EVERY:
                last_stats = now_mono
            if now_mono - last_presence >= PRESENCE_LOG_EVERY:
                last_presence = now_mono
            if now_mono - self._credentials_reported >= LIMITS_REPORT_EVERY:
                self._credentials_reported = now_mono
                self.spawn(self._report_credentials())

    def flush(self, room: Room) -> None:
        """Send everything due to the room's sockets as one frame per audience."""
        if not room.frames_due or not room.connections:
            room.frames_due.clear()
            return
        pending, room.frames_due = room.frames_due, []
        started = time.perf_counter()
        viewer_frame = text_frame(dumps([m.for_viewers() for m, _ in pending if not m.STAFF_ONLY]))
        staff_frame: bytes | None = None
        public = sum(1 for m, _ in pending if not m.STAFF_ONLY)
        written = dropped = sent_messages = 0
        for conn in list(room.connections.values()):
            if conn.staff:
                if staff_frame is None:
                    staff_frame = text_frame(dumps([m.for_staff() for m, _ in pending]))
                ok, count = conn.write(staff_frame), len(pending)
            elif public:
                ok, count = conn.write(viewer_frame), public
            else:
                continue
            if ok:
                written += 1
                sent_messages += count
            else:
                dropped += 1
        done = time.perf_counter()
        self.metrics.frames_out.inc(written)
        self.metrics.messages_out.inc(sent_messages)
        if dropped:
            self.metrics.dropped.inc(dropped)
        self.metrics.fanout.observe(done - started)
        for _, arrived in pending:
            self.metrics.latency.observe(done - arrived)

    def _queue_tallies(self, room: Room) -> None:
        state = room.state
        now = time.perf_counter()
        if state.vote is not None and state.vote.dirty:
            state.vote.dirty = False
            room.frames_due.append(
                (VoteUpdate(vote_id=state.vote.offer.vote_id, tallies=state.vote.counts()), now)
            )
        for coupon in state.coupons.values():
            if coupon.stock_dirty:
                coupon.stock_dirty = False
                offer = coupon.offer
                room.frames_due.append(
                    (
                        CouponStockOut(
                            coupon_id=offer.coupon_id, remaining=offer.remaining, sold_out=offer.sold_out
                        ),
                        now,
                    )
                )
        if state.lottery is not None and state.lottery.dirty:
            state.lottery.dirty = False
            lottery = state.lottery
            lottery.offer = lottery.offer.model_copy(update={"entrants": len(lottery.entered)})
            room.frames_due.append(
                (LotteryUpdate(lottery_id=lottery.offer.lottery_id, entrants=len(lottery.entered)), now)
            )

    async def _every_second(self, room: Room) -> None:
        if not room.likes_writing:  # off the ticker: a database that cannot be written must not stall chat
            self.spawn(self._flush_likes(room))
        if time.monotonic() - room.limits_reported >= LIMITS_REPORT_EVERY:
            room.limits_reported = time.monotonic()
            self.limits.prune(self.clock.time())
            self.spawn(self._report_limits(room))
        state = room.state
        now = self.clock.time()
        await self.bus.publish(
            room.id,
            self.instance,
            [
                PresenceReport(
                    instance=self.instance,
                    online=state.local_online,
                    viewers=list(state.local_viewers),
                    ts=now,
                ).model_dump(mode="json")
            ],
        )
        stats = state.stats(now)
        state.sample_online(now, stats.online)
        if stats != state.last_stats:
            state.last_stats = stats
            room.frames_due.append((stats, time.perf_counter()))
        await self.housekeeping(room)

    async def housekeeping(self, room: Room) -> None:
        """Close what is due (votes, lotteries); the operations modules fill this in."""

    async def _report_limits(self, room: Room) -> None:
        """One `limits_refused` row for what the per-address caps refused since the last one, if anything."""
        counts = self.limits.report(room.id)
        if counts:
            await self.log(self.line(room, "limits_refused", data={k: counts.get(k, 0) for k in REFUSALS}))

    async def _report_credentials(self) -> None:
        """One `credentials_refused` row per room whose credential checks failed since the last one
        (the room need not have a viewer: guessing goes on in empty rooms too)."""
        try:
            for room_id in self.backoff.rooms_to_report(self.directory.ids()):
                refused = self.backoff.report(room_id)
                if refused:
                    room = await self.room(room_id)
                    await self.log(self.line(room, "credentials_refused", data=refused))
        except Exception:  # a database that cannot be written: the counts are still in /metrics
            log.exception("credentials_refused not written")

    async def log_bursts(self, room: Room, bursts: list[Burst]) -> None:
        """Write ended bursts of refused chat, one `chat_rejected` each (at the burst's first refusal)."""
        if bursts:
            await self.log(
                *(
                    self.line(room, "chat_rejected", viewer_id=b.viewer_id, data=b.data(), ts=b.started)
                    for b in bursts
                )
            )

    async def _flush_likes(self, room: Room) -> None:
        """Log the likes gathered since the last flush; if the log cannot take them they are kept for the next."""
        if not room.pending_likes:
            return
        pending, room.pending_likes = room.pending_likes, {}
        room.likes_writing = True
        try:
            await self.log(
                *(self.line(room, "like", viewer_id=v, data={"count": n}) for v, n in pending.items())
            )
        except Exception:
            for viewer, n in pending.items():
                room.pending_likes[viewer] = room.pending_likes.get(viewer, 0) + n
            log.warning("likes of %d viewers kept for the next write", len(pending))
            return
        finally:
            room.likes_writing = False
        await self.dispatch(room, Counted(counter="likes", delta=sum(pending.values())))

    async def _log_presence(self, room: Room) -> None:
        state = room.state
        room.presence_logged = state.local_online
        await self.log(
            self.line(
                room,
                "presence",
                data={
                    "online": state.local_online,
                    "viewers": len(state.local_viewers),
                    "instance": self.instance,
                },
            )
        )

    def personal_stats(self, room: Room) -> Stats:
        return room.state.stats(self.clock.time())
