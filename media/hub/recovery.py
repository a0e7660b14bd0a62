"""A room's live state read back from the database: what a late instance or a restart must know."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.config import RoomSettings
from media.hub.clock import as_datetime
from media.hub.protocol import (
    ChatLine,
    Countdown,
    CouponOut,
    Eligibility,
    LotteryOpened,
    Pinned,
    Proposal,
    Question,
    Role,
    VoteOpened,
)
from media.hub.state import Counters, CouponState, LotteryState, RoomState, VoteState
from media.store.db import Database
from media.store.models import (
    Ballot,
    ChatMessage,
    CouponClaim,
    CouponStock,
    EventRow,
    Lottery,
    LotteryEntry,
    ProductPin,
    Viewer,
    Vote,
)
from media.store.orders import sold_out_skus, stock_left

QUESTION_HORIZON = timedelta(hours=6)


def stocks(settings: RoomSettings) -> dict[str, int]:
    """sku → stock of the products that have one."""
    return {p.sku: p.stock for p in settings.products if p.stock is not None}


def product_card(settings: RoomSettings, sku: str) -> dict[str, Any] | None:
    product = settings.product(sku)
    if product is None:
        return None
    return {
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "live_price": product.live_price,
        "stock": product.stock,
        "description": product.description,
        "link": f"/go/{settings.id}/{product.sku}?src=card",
    }


def chat_line(row: ChatMessage, quote: str | None = None) -> ChatLine:
    role: Role = row.role  # type: ignore[assignment]
    return ChatLine(
        id=row.id,
        role=role,
        nickname=row.nickname,
        text=row.text,
        ts=row.ts.timestamp(),
        reply_to=row.reply_to,
        quote=quote,
        cue=row.cue,
        viewer_id=row.viewer_id,
    )


async def load_room(db: Database, settings: RoomSettings, instance: str, now: float) -> RoomState:
    state = RoomState(settings=settings, instance=instance)
    room_id = settings.id
    at = as_datetime(now)
    async with db.sessions() as s:
        rows = (
            await s.scalars(
                select(ChatMessage)
                .where(ChatMessage.room_id == room_id, ChatMessage.deleted.is_(False))
                .order_by(ChatMessage.id.desc())
                .limit(state.history.maxlen or 50)
            )
        ).all()
        texts = {r.id: r.text for r in rows}
        for row in reversed(rows):
            state.history.append(chat_line(row, texts.get(row.reply_to) if row.reply_to else None))

        pin = await s.scalar(
            select(ProductPin).where(ProductPin.room_id == room_id).order_by(ProductPin.id.desc()).limit(1)
        )
        if pin is not None and pin.unpinned_at is None:
            card = product_card(settings, pin.sku)
            if card is not None:
                state.pinned = Pinned.model_validate({"product": card, "cue": pin.cue})

        await _load_coupons(s, state, room_id, at)
        await _load_vote(s, state, room_id)
        await _load_lottery(s, state, room_id)

        countdown = await s.scalar(
            select(EventRow)
            .where(EventRow.room_id == room_id, EventRow.kind == "countdown_started")
            .order_by(EventRow.id.desc())
            .limit(1)
        )
        if countdown is not None and float(countdown.data.get("deadline", 0)) > now:
            state.countdown = Countdown.model_validate(countdown.data)

        state.muted = set(
            (
                await s.scalars(select(Viewer.id).where(Viewer.room_id == room_id, Viewer.muted.is_(True)))
            ).all()
        )
        state.questions = await _waiting_questions(s, room_id, at)
        latest_run = await s.scalar(
            select(EventRow.run_id).where(EventRow.room_id == room_id).order_by(EventRow.id.desc()).limit(1)
        )
        state.run_id = latest_run
        state.counters = await count_run(s, room_id, latest_run)
        state.sold_out = await sold_out_skus(s, room_id, latest_run)
        state.stock_left = await stock_left(s, room_id, stocks(settings), latest_run)
        if state.pinned is not None:
            state.pinned = state.with_sold_out(state.pinned)
    return state


async def count_run(s: AsyncSession, room_id: str, run_id: int | None) -> Counters:
    """Likes, clicks, claims, orders and GMV of a run (or of everything outside runs) from the log."""
    run = EventRow.run_id == run_id if run_id is not None else EventRow.run_id.is_(None)
    counts = dict(
        (
            await s.execute(
                select(EventRow.kind, func.count())
                .where(
                    EventRow.room_id == room_id, run, EventRow.kind.in_(("click", "coupon_claimed", "order"))
                )
                .group_by(EventRow.kind)
            )
        ).all()
    )
    likes = 0
    for (data,) in await s.execute(
        select(EventRow.data).where(EventRow.room_id == room_id, run, EventRow.kind == "like")
    ):
        likes += int(data.get("count", 1))
    gmv = 0.0
    for (data,) in await s.execute(
        select(EventRow.data).where(EventRow.room_id == room_id, run, EventRow.kind == "order")
    ):
        try:
            gmv += float(data.get("amount", 0) or 0)
        except (TypeError, ValueError):
            pass  # an order row without a readable amount adds nothing
    return Counters(
        likes=likes,
        clicks=counts.get("click", 0),
        claims=counts.get("coupon_claimed", 0),
        orders=counts.get("order", 0),
        gmv=gmv,
    )


async def _load_coupons(s: AsyncSession, state: RoomState, room_id: str, at: Any) -> None:
    stocks = (
        await s.scalars(
            select(CouponStock)
            .where(CouponStock.room_id == room_id)
            .where((CouponStock.expires_at.is_(None)) | (CouponStock.expires_at > at))
            .order_by(CouponStock.pushed_at)
        )
    ).all()
    discounts: dict[str, str] = {}
    if stocks:
        for (data,) in await s.execute(
            select(EventRow.data)
            .where(EventRow.room_id == room_id, EventRow.kind == "coupon_pushed")
            .order_by(EventRow.id)
        ):
            discounts[str(data.get("coupon_id"))] = str(data.get("discount", ""))
    for stock in stocks:
        discount = discounts.get(stock.coupon_id, "")
        remaining = None if stock.quantity is None else stock.quantity - stock.claimed
        claimed_by = set(
            (
                await s.scalars(
                    select(CouponClaim.viewer_id).where(
                        CouponClaim.room_id == room_id, CouponClaim.coupon_id == stock.coupon_id
                    )
                )
            ).all()
        )
        offer = CouponOut(
            coupon_id=stock.coupon_id,
            title=stock.title,
            discount=discount,
            quantity=stock.quantity,
            remaining=remaining,
            expires_at=stock.expires_at.timestamp() if stock.expires_at else None,
            sold_out=remaining is not None and remaining <= 0,
        )
        state.coupons[stock.coupon_id] = CouponState(offer, link=stock.link, claimed_by=claimed_by)


async def _load_vote(s: AsyncSession, state: RoomState, room_id: str) -> None:
    vote = await s.scalar(
        select(Vote)
        .where(Vote.room_id == room_id, Vote.closed_at.is_(None))
        .order_by(Vote.id.desc())
        .limit(1)
    )
    if vote is None:
        return
    ballots = dict(
        (await s.execute(select(Ballot.viewer_id, Ballot.option).where(Ballot.vote_id == vote.id))).all()
    )
    offer = VoteOpened(
        vote_id=vote.vote_key,
        question=vote.question,
        options=[str(o) for o in vote.options],
        closes_at=vote.closes_at.timestamp(),
        allow_change=vote.allow_change,
        tallies=[],
        cue=vote.cue,
    )
    state.vote = VoteState(offer, db_id=vote.id, ballots=ballots)
    state.vote.offer = offer.model_copy(update={"tallies": state.vote.counts()})


async def _load_lottery(s: AsyncSession, state: RoomState, room_id: str) -> None:
    lottery = await s.scalar(
        select(Lottery)
        .where(Lottery.room_id == room_id, Lottery.status == "open")
        .order_by(Lottery.id.desc())
        .limit(1)
    )
    if lottery is None:
        return
    entered = set(
        (await s.scalars(select(LotteryEntry.viewer_id).where(LotteryEntry.lottery_id == lottery.id))).all()
    )
    offer = LotteryOpened(
        lottery_id=lottery.lottery_key,
        prize=lottery.prize,
        winners=lottery.winners,
        keyword=lottery.keyword,
        seed_hash=lottery.seed_hash,
        closes_at=lottery.closes_at.timestamp(),
        eligibility=Eligibility.model_validate(lottery.eligibility or {}),
        entrants=len(entered),
        cue=lottery.cue,
    )
    state.lottery = LotteryState(offer, db_id=lottery.id, entered=entered)


def _proposal(data: dict[str, Any]) -> Proposal | None:
    faq_id, text, score = data.get("proposed"), data.get("proposal"), data.get("score")
    if not isinstance(faq_id, str) or not isinstance(text, str) or not text:
        return None
    number = float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    return Proposal(faq_id=faq_id, text=text, score=number)


async def _waiting_questions(s: AsyncSession, room_id: str, at: Any) -> dict[int, Question]:
    events = (
        await s.scalars(
            select(EventRow)
            .where(
                EventRow.room_id == room_id,
                EventRow.kind.in_(("faq_decision", "question_answered", "question_dismissed")),
                EventRow.ts >= at - QUESTION_HORIZON,
            )
            .order_by(EventRow.id)
        )
    ).all()
    # A question waits from the bot's escalated or suggested decision until the team answers or
    # dismisses it; a suggested one keeps the bot's proposal (faq_id, text, score) across a restart.
    waiting: dict[int, tuple[str | None, Proposal | None]] = {}
    for event in events:
        message_id = event.data.get("message_id")
        if not isinstance(message_id, int):
            continue
        decision = event.data.get("decision")
        if event.kind == "faq_decision" and decision in ("escalated", "suggested"):
            reason = event.data.get("reason")
            waiting[message_id] = (reason if isinstance(reason, str) else None, _proposal(event.data))
        elif event.kind in ("question_answered", "question_dismissed"):
            waiting.pop(message_id, None)
    questions: dict[int, Question] = {}
    if waiting:
        rows = (await s.scalars(select(ChatMessage).where(ChatMessage.id.in_(list(waiting))))).all()
        for row in rows:
            if not row.deleted:
                reason, proposal = waiting[row.id]
                questions[row.id] = Question(
                    message_id=row.id,
                    viewer_id=row.viewer_id,
                    nickname=row.nickname,
                    text=row.text,
                    ts=row.ts.timestamp(),
                    reason=reason,
                    proposal=proposal,
                )
    return questions
