"""`RoomHub`: the room's operations in one object — for sockets, HTTP handlers and the bot.

Viewers join and act through `join`/`handle`/`leave` (called by the socket handler); the
bot and the team call the operator methods (`say`, `pin_product`, `push_coupon`,
`open_vote`, `close_vote`, `open_lottery`, `draw_lottery`, `start_countdown`, `mute`,
`delete_message`, `escalate`, `answer_question`, `set_run`) and `subscribe` to what happens.
"""

from __future__ import annotations

import time
from typing import Any

from media.hub.chat import ChatOps, StaffRole
from media.hub.commerce import CommerceOps
from media.hub.connections import Connection
from media.hub.core import Room
from media.hub.events import HubError
from media.hub.protocol import (
    OPERATOR_TYPES,
    AnswerQuestion,
    CastVote,
    Chat,
    ClaimCoupon,
    ClickProduct,
    CloseVote,
    DeleteMessage,
    DismissQuestion,
    DrawLottery,
    EnterLottery,
    ErrorReply,
    FollowRoom,
    GiftInfo,
    Like,
    Message,
    Mute,
    OpenLottery,
    OpenVote,
    Out,
    PinProduct,
    PushCoupon,
    RoomInfo,
    Say,
    SendGift,
    Snapshot,
    StartCountdown,
    WatchPath,
    Welcome,
)
from media.hub.voting import VoteOps
from media.i18n import t

# A viewer may do this many things (likes, clicks, claims…) in ACTION_WINDOW seconds.
ACTION_BURST = 30
ACTION_WINDOW = 5.0
RECENT_DRAW_SECONDS = 600.0


class RoomHub(ChatOps, CommerceOps, VoteOps):
    # -- sockets

    async def join(self, room: Room, conn: Connection) -> None:
        """Log the viewer in, then greet them with everything a late joiner must see.

        Staff sockets (team, host, bot) are not viewers: they are neither logged as joins
        nor counted online, so review numbers count the audience only.
        """
        state = room.state
        if not conn.staff:
            await self.log(
                self.line(
                    room,
                    "viewer_joined",
                    viewer_id=conn.viewer_id,
                    data={"nickname": conn.nickname, "connection_id": conn.id, "instance": self.instance},
                )
            )
            state.local_online += 1
            state.local_viewers[conn.viewer_id] = state.local_viewers.get(conn.viewer_id, 0) + 1
        room.connections[conn.id] = conn
        self.metrics.connections.labels(conn.role).inc()
        conn.send(self.welcome(room, conn))

    async def leave(self, room: Room, conn: Connection) -> None:
        if room.connections.pop(conn.id, None) is None:
            return
        self.metrics.connections.labels(conn.role).dec()
        if conn.staff:
            return
        state = room.state
        state.local_online -= 1
        left = state.local_viewers.get(conn.viewer_id, 1) - 1
        if left <= 0:
            state.local_viewers.pop(conn.viewer_id, None)
        else:
            state.local_viewers[conn.viewer_id] = left
        watched = round(max(0.0, self.clock.time() - conn.joined_at), 3)
        await self.log(
            self.line(
                room,
                "viewer_left",
                viewer_id=conn.viewer_id,
                data={"connection_id": conn.id, "watched_seconds": watched},
            )
        )
        if conn.viewer_id not in state.local_viewers:  # their last socket here: their bursts are over
            await self.log_bursts(room, room.rejected.of_viewer(conn.viewer_id))

    def welcome(self, room: Room, conn: Connection) -> Welcome:
        state = room.state
        settings = state.settings
        now = self.clock.time()
        staff = conn.staff

        def shown(message: Out) -> dict[str, Any]:
            return message.for_staff() if staff else message.for_viewers()

        coupons = []
        for coupon in state.coupons.values():
            offer = coupon.offer
            if offer.expires_at is not None and offer.expires_at <= now:
                continue
            coupons.append(shown(offer.model_copy(update={"claimed": conn.viewer_id in coupon.claimed_by})))
        vote = None
        if state.vote is not None:
            v = state.vote
            vote = shown(
                v.offer.model_copy(update={"tallies": v.counts(), "my_option": v.ballots.get(conn.viewer_id)})
            )
        lottery = None
        if state.lottery is not None:
            lot = state.lottery
            lottery = shown(
                lot.offer.model_copy(
                    update={"entrants": len(lot.entered), "entered": conn.viewer_id in lot.entered}
                )
            )
        last_draw = None
        if state.last_draw is not None:
            last_draw = shown(state.last_draw)
        snapshot = Snapshot(
            messages=[shown(m) for m in state.history],
            pinned=shown(state.pinned) if state.pinned is not None else None,
            coupons=coupons,
            vote=vote,
            lottery=lottery,
            last_draw=last_draw,
            countdown=shown(state.countdown) if state.countdown and state.countdown.deadline > now else None,
            stats=shown(state.stats(now)),
            questions=[q.for_staff() for q in self.waiting_questions(room.id)] if staff else [],
            sold_out=sorted(state.sold_out),
            stock_left=dict(state.stock_left),
            online_history=list(state.online_history) if staff else [],
        )
        return Welcome(
            viewer_id=conn.viewer_id,
            nickname=conn.nickname,
            role=conn.role,
            muted=conn.viewer_id in state.muted,
            room=RoomInfo(
                id=settings.id, title=settings.title, language=settings.language, bot_name=settings.bot_name
            ),
            gifts=[GiftInfo(id=g.id, name=g.name, icon=g.icon) for g in settings.gifts],
            snapshot=snapshot,
        )

    def refuse(self, room: Room, conn: Connection, code: str, detail: str | None = None) -> None:
        self.metrics.errors.labels(code).inc()
        conn.errors.append(time.monotonic())
        conn.send(ErrorReply(code=code, message=t(self.lang(room), f"hub.error.{code}"), detail=detail))

    def too_busy(self, conn: Connection) -> bool:
        now = time.monotonic()
        conn.recent_actions.append(now)
        return sum(1 for t0 in conn.recent_actions if now - t0 < ACTION_WINDOW) > ACTION_BURST

    async def handle(
        self, room: Room, conn: Connection, message: Message, arrived: float | None = None
    ) -> None:
        """Act on one valid message from a socket; refusals go back to that socket only."""
        self.metrics.messages_in.labels(getattr(message, "type", "?")).inc()
        kind = getattr(message, "type", "")
        if kind in OPERATOR_TYPES and not (
            conn.role in ("team", "bot") or (conn.role == "host" and kind == "say")
        ):
            self.refuse(room, conn, "forbidden", kind)
            return
        if not isinstance(message, Chat) and conn.role == "viewer" and self.too_busy(conn):
            self.refuse(room, conn, "rate_limit")
            return
        try:
            await self._handle(room, conn, message, arrived)
        except HubError as exc:
            self.refuse(room, conn, exc.code, exc.detail or None)

    async def _handle(self, room: Room, conn: Connection, message: Message, arrived: float | None) -> None:
        match message:
            case Chat(text=text):
                await self.viewer_chat(room, conn, text, arrived)
            case Like(count=count):
                self.like(room, conn, count)
            case SendGift(gift_id=gift_id):
                await self.gift(room, conn, gift_id)
            case CastVote(vote_id=vote_id, option=option):
                await self.cast(room, conn, vote_id, option)
            case EnterLottery(lottery_id=lottery_id):
                await self.enter_lottery_as(room, conn, lottery_id, via="button")
            case ClaimCoupon(coupon_id=coupon_id):
                await self.claim(room, conn, coupon_id)
            case ClickProduct(sku=sku):
                await self.record_click(room.id, sku, conn.viewer_id, "card", conn.address)
            case FollowRoom():
                await self.follow(room, conn)
            case WatchPath(path=path, fallback=fallback):
                await self.watch_path(room, conn, path, fallback)
            case _:
                await self.operate(room, conn, message)

    async def watch_path(self, room: Room, conn: Connection, path: str, fallback: bool) -> None:
        """A viewer's player says how it plays the video; logged when it changes."""
        if conn.playback == path and conn.fallback == fallback:
            return
        conn.playback, conn.fallback = path, fallback
        if not conn.staff:
            await self.log(
                self.line(
                    room,
                    "viewer_playback",
                    viewer_id=conn.viewer_id,
                    data={"path": path, "fallback": fallback, "connection_id": conn.id},
                )
            )

    def playback_counts(self, room_id: str) -> dict[str, int]:
        """Viewers on this process by the path their video plays over (`unknown`: not said yet)."""
        counts = {"whep": 0, "sfu": 0, "hls": 0, "fallback": 0, "unknown": 0}
        room = self.active(room_id)
        for conn in room.connections.values() if room is not None else ():
            if conn.staff:
                continue
            counts[conn.playback or "unknown"] += 1
            counts["fallback"] += conn.fallback
        return counts

    async def operate(self, room: Room, conn: Connection, message: Message) -> None:
        """An operator command from the studio, the host page or a bot connected over the socket."""
        by = conn.nickname
        staff_role: StaffRole = "host" if conn.role == "host" else "team" if conn.role == "team" else "bot"
        match message:
            case Say(text=text, reply_to=reply_to, cue=cue):
                await self.say(room.id, text, cue=cue, reply_to=reply_to, role=staff_role, nickname=by)
            case PinProduct(sku=sku, cue=cue):
                await self.pin_product(room.id, sku, cue=cue)
            case PushCoupon(coupon=coupon, cue=cue):
                await self.push_coupon(room.id, coupon, cue=cue)
            case OpenVote() as m:
                await self.open_vote(
                    room.id, m.vote_id, m.question, m.options, m.duration_s, m.allow_change, cue=m.cue
                )
            case CloseVote(vote_id=vote_id, cue=cue):
                await self.close_vote(room.id, vote_id, cue=cue)
            case OpenLottery() as m:
                await self.open_lottery(
                    room.id,
                    m.lottery_id,
                    m.prize,
                    m.winners,
                    m.keyword,
                    m.window_s,
                    m.eligibility,
                    m.prize_value,
                    m.cue,
                )
            case DrawLottery(lottery_id=lottery_id, cue=cue):
                await self.draw_lottery(room.id, lottery_id, cue=cue)
            case StartCountdown() as m:
                await self.start_countdown(room.id, m.title, m.duration_s, m.sku, m.stock, m.cue)
            case Mute(viewer_id=viewer_id, muted=muted):
                await self.mute(room.id, viewer_id, muted=muted, by=by)
            case DeleteMessage(message_id=message_id):
                await self.delete_message(room.id, message_id, by=by)
            case AnswerQuestion(message_id=message_id, text=text, faq_id=faq_id):
                await self.answer_question(room.id, message_id, text, by=by, faq_id=faq_id)
            case DismissQuestion(message_id=message_id):
                await self.dismiss_question(room.id, message_id, by=by)
            case _:
                raise HubError("unknown_type", type(message).__name__)

    async def housekeeping(self, room: Room) -> None:
        if len(room.rejected):
            self.spawn(self.log_bursts(room, room.rejected.over(self.clock.time())))
        try:
            await self.close_due_vote(room)
            await self.draw_due_lottery(room)
        except HubError:
            pass
