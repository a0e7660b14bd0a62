"""One room's live state, changed only by applying ops.

Every instance applies the same ops in the order it sees them (its own at once, other
instances' from the bus), so pins, coupons, votes, lotteries and counts agree everywhere.
`apply` returns what must go out to this instance's sockets.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from media.config import RoomSettings
from media.hub.protocol import (
    ChatDeleted,
    ChatLine,
    Countdown,
    CouponOut,
    CouponStockOut,
    GiftSent,
    LotteryOpened,
    LotteryResult,
    Message,
    MuteChanged,
    Notice,
    Out,
    Pinned,
    ProductSoldOut,
    ProductStock,
    Question,
    QuestionAnswered,
    QuestionDismissed,
    Stats,
    VoteClosed,
    VoteOpened,
)
from media.hub.votes import tallies

HISTORY = 50
ONLINE_SAMPLE_EVERY = 10.0  # seconds between the studio sparkline's samples
ONLINE_SAMPLES = 360  # an hour of them
PRESENCE_TTL = 5.0


class CouponTaken(Message):
    type: Literal["_coupon_taken"] = "_coupon_taken"
    coupon_id: str
    viewer_id: str
    remaining: int | None


class BallotCast(Message):
    type: Literal["_ballot"] = "_ballot"
    vote_id: str
    viewer_id: str
    option: int


class LotteryEntered(Message):
    type: Literal["_entered"] = "_entered"
    lottery_id: str
    viewer_id: str


class Counted(Message):
    type: Literal["_counted"] = "_counted"
    counter: Literal["likes", "clicks", "claims", "orders"]
    delta: int = 1
    amount: float = 0.0  # an order's amount, added to the GMV


class PresenceReport(Message):
    type: Literal["_presence"] = "_presence"
    instance: str
    online: int
    viewers: list[str]
    ts: float


class RunChanged(Message):
    type: Literal["_run"] = "_run"
    run_id: int | None


Op = Annotated[
    ChatLine
    | ChatDeleted
    | Pinned
    | ProductSoldOut
    | ProductStock
    | CouponOut
    | CouponStockOut
    | VoteOpened
    | VoteClosed
    | LotteryOpened
    | LotteryResult
    | Countdown
    | GiftSent
    | Notice
    | MuteChanged
    | Question
    | QuestionAnswered
    | QuestionDismissed
    | CouponTaken
    | BallotCast
    | LotteryEntered
    | Counted
    | PresenceReport
    | RunChanged,
    Field(discriminator="type"),
]
OPS: TypeAdapter[list[Op]] = TypeAdapter(list[Op])


@dataclass
class CouponState:
    offer: CouponOut
    link: str
    claimed_by: set[str] = field(default_factory=set)
    stock_dirty: bool = False

    def current(self) -> CouponOut:
        return self.offer


@dataclass
class VoteState:
    offer: VoteOpened
    db_id: int
    ballots: dict[str, int] = field(default_factory=dict)
    dirty: bool = False
    closing: bool = False

    def counts(self) -> list[int]:
        return tallies(self.ballots, len(self.offer.options))


@dataclass
class LotteryState:
    offer: LotteryOpened
    db_id: int
    entered: set[str] = field(default_factory=set)
    dirty: bool = False
    drawing: bool = False


@dataclass
class Counters:
    likes: int = 0
    clicks: int = 0
    claims: int = 0
    orders: int = 0
    gmv: float = 0.0


@dataclass
class RoomState:
    settings: RoomSettings
    instance: str
    run_id: int | None = None
    history: deque[ChatLine] = field(default_factory=lambda: deque(maxlen=HISTORY))
    pinned: Pinned | None = None
    sold_out: set[str] = field(default_factory=set)  # skus whose orders reached their stock in this run
    stock_left: dict[str, int] = field(default_factory=dict)  # units left in this run of skus ordered
    # viewers online every ONLINE_SAMPLE_EVERY seconds, the last hour: the studio's sparkline
    online_history: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=ONLINE_SAMPLES))
    coupons: dict[str, CouponState] = field(default_factory=dict)
    vote: VoteState | None = None
    lottery: LotteryState | None = None
    last_draw: LotteryResult | None = None
    countdown: Countdown | None = None
    counters: Counters = field(default_factory=Counters)
    peak: int = 0
    muted: set[str] = field(default_factory=set)
    questions: dict[int, Question] = field(default_factory=dict)
    remote: dict[str, PresenceReport] = field(default_factory=dict)
    local_online: int = 0
    local_viewers: dict[str, int] = field(default_factory=dict)  # viewer id → open sockets here
    last_stats: Stats | None = None

    # -- presence

    def online(self, now: float) -> int:
        others = sum(
            r.online for i, r in self.remote.items() if i != self.instance and now - r.ts < PRESENCE_TTL
        )
        return self.local_online + others

    def present_viewers(self, now: float) -> set[str]:
        present = set(self.local_viewers)
        for instance, report in self.remote.items():
            if instance != self.instance and now - report.ts < PRESENCE_TTL:
                present.update(report.viewers)
        return present

    def stats(self, now: float) -> Stats:
        online = self.online(now)
        self.peak = max(self.peak, online)
        c = self.counters
        return Stats(
            online=online,
            peak=self.peak,
            likes=c.likes,
            viewers=len(self.present_viewers(now)),
            clicks=c.clicks,
            claims=c.claims,
            orders=c.orders,
            gmv=round(c.gmv, 2),
        )

    def sample_online(self, now: float, online: int) -> None:
        if not self.online_history or now - self.online_history[-1][0] >= ONLINE_SAMPLE_EVERY:
            self.online_history.append((now, online))

    def nickname_of(self, message_id: int) -> str | None:
        """Who wrote a line still in the recent history."""
        return next((line.nickname for line in self.history if line.id == message_id), None)

    def quote_for(self, message_id: int | None) -> str | None:
        if message_id is None:
            return None
        for line in self.history:
            if line.id == message_id:
                return line.text
        return None

    def with_sold_out(self, pinned: Pinned) -> Pinned:
        """The pin with its card marked sold out, or not, as this run's stock-outs say."""
        product = pinned.product
        if product is None or product.sold_out == (product.sku in self.sold_out):
            return pinned
        card = product.model_copy(update={"sold_out": product.sku in self.sold_out})
        return pinned.model_copy(update={"product": card})

    # -- the state machine

    def apply(self, op: Message) -> list[Out]:
        """Change the state by one op; return the messages this instance must broadcast."""
        match op:
            case ChatLine():
                self.history.append(op)
                return [op]
            case ChatDeleted():
                kept = [line for line in self.history if line.id != op.message_id]
                self.history.clear()
                self.history.extend(kept)
                return [op]
            case Pinned():
                # This instance's stock-outs decide: the pin may have been built before one arrived.
                op = self.with_sold_out(op)
                self.pinned = op if op.product is not None else None
                return [op]
            case ProductSoldOut():
                if op.run_id != self.run_id or op.sku in self.sold_out:
                    return []  # a late retry of an earlier run's order, or already known
                self.sold_out.add(op.sku)
                if self.pinned is not None:
                    self.pinned = self.with_sold_out(self.pinned)
                return [op]
            case ProductStock():
                if op.run_id != self.run_id:
                    return []
                # Orders only take stock away within a run: of two counts racing, the lower is the later.
                left = min(op.left, self.stock_left.get(op.sku, op.left))
                self.stock_left[op.sku] = left
                return [op.model_copy(update={"left": left})]
            case CouponOut():
                previous = self.coupons.get(op.coupon_id)
                self.coupons[op.coupon_id] = CouponState(
                    op.model_copy(update={"claimed": False}),
                    link=previous.link if previous else "",
                    claimed_by=previous.claimed_by if previous else set(),
                )
                return [op]
            case CouponTaken():
                self.counters.claims += 1
                coupon = self.coupons.get(op.coupon_id)
                if coupon is None:
                    return []
                coupon.claimed_by.add(op.viewer_id)
                sold_out = op.remaining is not None and op.remaining <= 0
                coupon.offer = coupon.offer.model_copy(
                    update={"remaining": op.remaining, "sold_out": sold_out}
                )
                if sold_out:
                    coupon.stock_dirty = False
                    return [CouponStockOut(coupon_id=op.coupon_id, remaining=op.remaining, sold_out=True)]
                coupon.stock_dirty = True
                return []
            case CouponStockOut():
                coupon = self.coupons.get(op.coupon_id)
                if coupon is not None:
                    coupon.offer = coupon.offer.model_copy(
                        update={"remaining": op.remaining, "sold_out": op.sold_out}
                    )
                return [op]
            case VoteOpened():
                self.vote = VoteState(op.model_copy(update={"my_option": None}), db_id=0)
                return [op]
            case BallotCast():
                if self.vote is not None and self.vote.offer.vote_id == op.vote_id:
                    self.vote.ballots[op.viewer_id] = op.option
                    self.vote.dirty = True
                return []
            case VoteClosed():
                if self.vote is not None and self.vote.offer.vote_id == op.vote_id:
                    self.vote = None
                return [op]
            case LotteryOpened():
                self.lottery = LotteryState(op.model_copy(update={"entered": False}), db_id=0)
                return [op]
            case LotteryEntered():
                if self.lottery is not None and self.lottery.offer.lottery_id == op.lottery_id:
                    self.lottery.entered.add(op.viewer_id)
                    self.lottery.dirty = True
                return []
            case LotteryResult():
                if self.lottery is not None and self.lottery.offer.lottery_id == op.lottery_id:
                    self.lottery = None
                self.last_draw = op
                return [op]
            case Countdown():
                self.countdown = op
                return [op]
            case MuteChanged():
                if op.muted:
                    self.muted.add(op.viewer_id)
                else:
                    self.muted.discard(op.viewer_id)
                return [op]
            case Question():
                self.questions[op.message_id] = op
                return [op]
            case QuestionAnswered() | QuestionDismissed():
                self.questions.pop(op.message_id, None)
                return [op]
            case Counted():
                setattr(self.counters, op.counter, getattr(self.counters, op.counter) + op.delta)
                self.counters.gmv += op.amount
                return []
            case PresenceReport():
                self.remote[op.instance] = op
                return []
            case RunChanged():
                # The same run again (adopted after a restart) keeps its stock-outs.
                if op.run_id != self.run_id:
                    self.sold_out = set()
                    self.stock_left = {}
                self.run_id = op.run_id
                self.counters = Counters()
                self.peak = 0
                if self.pinned is not None:
                    pinned = self.with_sold_out(self.pinned)
                    if pinned is not self.pinned:  # a new run has stock again: the card can be bought
                        self.pinned = pinned
                        return [pinned]
                return []
            case GiftSent() | Notice():
                return [op]
        raise TypeError(f"not an op: {type(op).__name__}")
