"""Lotteries (福袋): open with a published seed hash, one entry per viewer, a checkable draw."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import select, update

from media.hub.clock import as_datetime
from media.hub.connections import Connection
from media.hub.core import HubCore, Room
from media.hub.events import HubError
from media.hub.lottery import ALGORITHM, EntrantFacts, draw, eligible, new_seed, seed_hash
from media.hub.protocol import Eligibility, LotteryEntryReply, LotteryOpened, LotteryResult, Winner
from media.hub.state import LotteryEntered
from media.i18n import t
from media.store.events import append_event
from media.store.lotteries import enter_lottery, lottery_entrants, record_draw
from media.store.models import CouponClaim, Draw, EventRow, Lottery, ProductClick, Viewer

# Watch time counts from this long before the lottery opened.
WATCH_HORIZON = timedelta(hours=12)


class LotteryOps(HubCore):
    async def open_lottery(
        self,
        room_id: str,
        lottery_id: str,
        prize: str,
        winners: int,
        keyword: str | None,
        window_s: float,
        eligibility: dict[str, Any] | Eligibility | None = None,
        prize_value: float | None = None,
        cue: str | None = None,
    ) -> LotteryOpened:
        """Open entries for `window_s` seconds; sha256(seed) is published now, the seed at the draw."""
        room = await self.room(room_id)
        rules = (
            eligibility
            if isinstance(eligibility, Eligibility)
            else Eligibility.model_validate(eligibility or {})
        )
        seed = new_seed()
        now = self.clock.time()
        offer = LotteryOpened(
            lottery_id=lottery_id,
            prize=prize,
            winners=winners,
            keyword=keyword or None,
            seed_hash=seed_hash(seed),
            closes_at=now + window_s,
            eligibility=rules,
            cue=cue,
        )
        data: dict[str, Any] = {
            "lottery_id": lottery_id,
            "prize": prize,
            "winners": winners,
            "keyword": offer.keyword,
            "seed_hash": offer.seed_hash,
            "closes_at": as_datetime(offer.closes_at).isoformat(),
            "eligibility": rules.model_dump(),
        }
        if cue is not None:
            data["cue"] = cue
        async with self.db.sessions() as s, s.begin():
            row = Lottery(
                room_id=room_id,
                run_id=room.state.run_id,
                lottery_key=lottery_id,
                prize=prize,
                prize_value=prize_value,
                winners=winners,
                keyword=offer.keyword,
                seed=seed,
                seed_hash=offer.seed_hash,
                eligibility=rules.model_dump(),
                opened_at=as_datetime(now),
                closes_at=as_datetime(offer.closes_at),
                cue=cue,
            )
            s.add(row)
            await s.flush()
            event = await append_event(s, self.line(room, "lottery_opened", data=data, ts=now))
        self.announce(event)
        await self.dispatch(room, offer)
        if room.state.lottery is not None:
            room.state.lottery.db_id = row.id
        return offer

    async def _lottery_row_id(self, room: Room) -> int:
        lottery = room.state.lottery
        assert lottery is not None
        if not lottery.db_id:
            async with self.db.sessions() as s:
                found = await s.scalar(
                    select(Lottery.id)
                    .where(
                        Lottery.room_id == room.id,
                        Lottery.lottery_key == lottery.offer.lottery_id,
                        Lottery.status == "open",
                    )
                    .order_by(Lottery.id.desc())
                    .limit(1)
                )
            lottery.db_id = found or 0
        return lottery.db_id

    async def enter_lottery_as(
        self, room: Room, conn: Connection, lottery_id: str, via: Literal["keyword", "button"]
    ) -> LotteryEntryReply:
        lottery = room.state.lottery
        limits = room.state.settings.limits
        reply: LotteryEntryReply
        if lottery is None or lottery.offer.lottery_id != lottery_id:
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="unknown")
        elif self.clock.time() >= lottery.offer.closes_at:
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="closed")
        elif conn.viewer_id in room.state.muted:
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="muted")
        elif conn.viewer_id in lottery.entered:
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="already_entered")
        elif not conn.identified:  # a new id per socket would be an entry per socket
            self.limits.refused_without_token(room.id, "entries")
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="no_token")
        elif not self.limits.take(room.id, "entries", lottery_id, conn.address, limits):
            reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="limit")
        else:
            db_id = await self._lottery_row_id(room)
            data = {"lottery_id": lottery_id, "via": via}
            ts = as_datetime(self.clock.time())
            try:
                async with self.db.sessions() as s, s.begin():
                    recorded = await enter_lottery(s, db_id, conn.viewer_id, ts=ts)
                    if recorded.created:
                        event = await append_event(
                            s,
                            self.line(
                                room, "lottery_entry", viewer_id=conn.viewer_id, data=data, ts=ts.timestamp()
                            ),
                        )
            except Exception:
                self.limits.give_back(room.id, "entries", lottery_id, conn.address, limits)
                raise
            if not recorded.created:
                self.limits.give_back(room.id, "entries", lottery_id, conn.address, limits)
            if recorded.created:
                self.announce(event)
                await self.dispatch(
                    room,
                    LotteryEntered(lottery_id=lottery_id, viewer_id=conn.viewer_id),
                    arrived=time.perf_counter(),
                )
                reply = LotteryEntryReply(lottery_id=lottery_id, ok=True)
            else:
                reply = LotteryEntryReply(lottery_id=lottery_id, ok=False, reason="already_entered")
        conn.send(reply)
        return reply

    async def draw_lottery(self, room_id: str, lottery_id: str, cue: str | None = None) -> LotteryResult:
        """Close entries and draw; drawing again returns the recorded result."""
        room = await self.room(room_id)
        async with self.db.sessions() as s:
            row = await s.scalar(
                select(Lottery)
                .where(Lottery.room_id == room_id, Lottery.lottery_key == lottery_id)
                .order_by(Lottery.id.desc())
                .limit(1)
            )
            if row is None:
                raise HubError("unknown_lottery", lottery_id)
            existing = await s.scalar(select(Draw).where(Draw.lottery_id == row.id))
            if existing is not None:
                return await self._result(s, row, existing, cue, lang=self.lang(room))
            entrants = await lottery_entrants(s, row.id)
            facts = await self._facts(s, room, row, entrants)
        rules = Eligibility.model_validate(row.eligibility or {})
        pool = eligible(
            entrants,
            facts,
            min_watch_seconds=rules.min_watch_seconds,
            present=rules.present,
            require=rules.require,
        )
        chosen = draw(row.seed, pool, row.winners)
        async with self.db.sessions() as s, s.begin():
            recorded = await record_draw(
                s,
                row.id,
                seed=row.seed,
                algorithm=ALGORITHM,
                entrants=pool,
                winners=chosen,
                drawn_at=as_datetime(self.clock.time()),
            )
            await s.execute(
                update(Lottery).where(Lottery.id == row.id, Lottery.status == "open").values(status="drawn")
            )
            data: dict[str, Any] = {
                "lottery_id": lottery_id,
                "draw_id": recorded.row.id,
                "seed": row.seed,
                "winners": list(recorded.row.winners),
                "entrants": len(entrants),
                "eligible": len(pool),
                "promised": row.winners,
                "algorithm": ALGORITHM,
            }
            if cue is not None:
                data["cue"] = cue
            if recorded.created:
                event = await append_event(s, self.line(room, "lottery_drawn", data=data))
            result = await self._result(
                s, row, recorded.row, cue, entrants=len(entrants), lang=self.lang(room)
            )
        if recorded.created:
            self.announce(event)
            await self.dispatch(room, result)
        return result

    async def _result(
        self,
        s: Any,
        row: Lottery,
        drawn: Draw,
        cue: str | None,
        entrants: int | None = None,
        lang: str | None = None,
    ) -> LotteryResult:
        names = dict(
            (
                await s.execute(select(Viewer.id, Viewer.nickname).where(Viewer.id.in_(list(drawn.winners))))
            ).all()
        )
        if entrants is None:
            entrants = len(await lottery_entrants(s, row.id))
        short = (
            t(
                lang,
                "hub.lottery.short",
                promised=row.winners,
                eligible=len(drawn.entrants),
                entrants=entrants,
                winners=len(drawn.winners),
            )
            if 0 < len(drawn.winners) < row.winners
            else None
        )
        return LotteryResult(
            lottery_id=row.lottery_key,
            draw_id=drawn.id,
            prize=row.prize,
            seed=drawn.seed,
            seed_hash=row.seed_hash,
            algorithm=drawn.algorithm,
            entrants=entrants,
            eligible=len(drawn.entrants),
            winners=[Winner(viewer_id=v, nickname=names.get(v, v[-6:])) for v in drawn.winners],
            cue=cue,
            promised=row.winners,
            short_note=short,
        )

    async def _facts(self, s: Any, room: Room, row: Lottery, entrants: list[str]) -> dict[str, EntrantFacts]:
        """Watch time, presence, claims, clicks and mutes of the entrants, from the log and the state."""
        if not entrants:
            return {}
        now = self.clock.time()
        # Watch time is time in the room, wherever the run began: viewers who came before 开播 count too.
        scope: list[Any] = [
            EventRow.room_id == room.id,
            EventRow.viewer_id.in_(entrants),
            EventRow.ts >= row.opened_at - WATCH_HORIZON,
        ]
        joins: dict[str, tuple[str, float]] = {}
        watched: dict[str, float] = {}
        for event in (
            await s.scalars(
                select(EventRow)
                .where(*scope, EventRow.kind.in_(("viewer_joined", "viewer_left")))
                .order_by(EventRow.id)
            )
        ).all():
            connection = str(event.data.get("connection_id"))
            if event.kind == "viewer_joined":
                joins[connection] = (event.viewer_id, event.ts.timestamp())
            elif connection in joins:
                viewer, joined = joins.pop(connection)
                watched[viewer] = watched.get(viewer, 0.0) + max(0.0, event.ts.timestamp() - joined)
        present = room.state.present_viewers(now)
        for viewer, joined in joins.values():  # still connected somewhere
            if viewer in present:
                watched[viewer] = watched.get(viewer, 0.0) + max(0.0, now - joined)
        claim_q = select(CouponClaim.viewer_id).where(
            CouponClaim.room_id == room.id, CouponClaim.viewer_id.in_(entrants)
        )
        click_q = select(ProductClick.viewer_id).where(
            ProductClick.room_id == room.id, ProductClick.viewer_id.in_(entrants)
        )
        if row.run_id is not None:
            claim_q = claim_q.where(CouponClaim.run_id == row.run_id)
            click_q = click_q.where(ProductClick.run_id == row.run_id)
        claimed = set((await s.scalars(claim_q)).all())
        clicked = set((await s.scalars(click_q)).all())
        muted = set(
            (await s.scalars(select(Viewer.id).where(Viewer.id.in_(entrants), Viewer.muted.is_(True)))).all()
        )
        muted |= room.state.muted
        return {
            v: EntrantFacts(
                watched_seconds=watched.get(v, 0.0),
                present=v in present,
                claimed_coupon=v in claimed,
                clicked_product=v in clicked,
                muted=v in muted,
            )
            for v in entrants
        }

    async def draw_due_lottery(self, room: Room) -> None:
        lottery = room.state.lottery
        if lottery is None or lottery.drawing or self.clock.time() < lottery.offer.closes_at:
            return
        lottery.drawing = True
        try:
            await self.draw_lottery(room.id, lottery.offer.lottery_id)
        finally:
            lottery.drawing = False
