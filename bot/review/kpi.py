"""KPI maths (复盘指标): pure functions over the event log of one show run.

`Tally` folds events one at a time (so the studio's live numbers and the review share this code);
`Tally.result(end)` turns what it saw into KPIs per show, per segment and per product, each rate kept
as a `Ratio` of numerator and denominator. docs/metrics.md gives every formula.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.review.presence import Concurrency, Presence, Span, overlaps
from bot.review.questions import QuestionLedger
from bot.review.records import Ratio, money
from bot.review.results import (
    BotCounts,
    CouponKpis,
    CueMark,
    Kpis,
    LotteryKpis,
    Moments,
    ProductKpis,
    SegmentKpis,
    ShowReview,
    StreamIssue,
    VoteKpis,
)
from bot.review.windows import SegmentWindow

__all__ = [
    "BotCounts",
    "CouponKpis",
    "CueMark",
    "Kpis",
    "LotteryKpis",
    "Moments",
    "ProductKpis",
    "SegmentKpis",
    "ShowReview",
    "StreamIssue",
    "Tally",
    "VoteKpis",
    "compute",
]
from media.events import RoomEvent

ORDER_GRACE_SECONDS = 1800.0
"""Orders and coupon uses reported by the shop up to this long after the run still count for it."""
# What the room refused, in the order the report lists it: chat lines (`chat_rejected`), and what the
# per-address caps turned away (`limits_refused`): new viewer ids, claims, entries, ballots, repeated clicks.
REFUSED = ("chat", "new_viewers", "claims", "entries", "votes", "clicks")

INTERACTIONS = frozenset({"chat", "like", "ballot", "lottery_entry"})
BOT_DECISIONS = ("answered", "abstained", "escalated", "suggested")
BOT_COUNTS = (*BOT_DECISIONS, "suggested_sent", "suggested_edited", "dismissed")


# ---- accumulation --------------------------------------------------------------------------------


@dataclass
class _Bucket:
    """Counts for the whole show or one segment window."""

    chat: int = 0
    likes: int = 0
    gifts: int = 0
    clicks: int = 0
    follows: int = 0
    followers: set[str] = field(default_factory=set)
    orders: int = 0
    units: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal("0.00"))
    pushed: int = 0
    claimed: int = 0
    used: int = 0
    entries: int = 0
    clickers: set[str] = field(default_factory=set)
    buyers: set[str] = field(default_factory=set)
    interactors: set[str] = field(default_factory=set)
    voters: set[str] = field(default_factory=set)
    bot: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BOT_COUNTS, 0))
    human: list[float] = field(default_factory=list)


@dataclass
class _Product:
    clicks: int = 0
    orders: int = 0
    units: int = 0
    gmv: Decimal = field(default_factory=lambda: Decimal("0.00"))
    clickers: set[str] = field(default_factory=set)
    buyers: set[str] = field(default_factory=set)
    pins: list[Span] = field(default_factory=list)


@dataclass
class _Coupon:
    title: str = ""
    pushed: int = 0
    claimed: int = 0
    refused: int = 0
    used: int = 0
    sold_out: bool = False


@dataclass
class _Lottery:
    prize: str = ""
    entries: int = 0
    entrants: set[str] = field(default_factory=set)
    winners: int = 0
    promised: int = 0
    eligible: int | None = None
    counted: int | None = None  # entrants as the draw counted them (the room's own count)


@dataclass
class _Vote:
    question: str = ""
    opened: float = 0.0
    closed: float | None = None
    voters: set[str] = field(default_factory=set)
    winner: str | None = None
    options: list[str] = field(default_factory=list)
    tallies: list[int] = field(default_factory=list)


class Tally:
    """Folds one run's events, in log order, into the counts the KPIs are made of.

    Events before the run's start only set the state they carry (who is connected, what is pinned);
    events after `end` are ignored, except orders and coupon uses within `ORDER_GRACE_SECONDS`, which
    count for the show and its products but no segment.
    """

    def __init__(
        self,
        start: dt.datetime,
        segments: Iterable[SegmentWindow] = (),
        end: dt.datetime | None = None,
        order_grace: float = ORDER_GRACE_SECONDS,
        speed: float = 1.0,
    ) -> None:
        self.start = start
        self._start_ts = start.timestamp()
        self.speed = speed  # a rehearsal at speed X: the per-minute series count minutes of the script
        self.end = end
        self._end_offset = (end - start).total_seconds() if end is not None else float("inf")
        self._grace = order_grace
        self.windows = tuple(segments)
        self._seg_starts = [(w.start - start).total_seconds() for w in self.windows]
        self._seg_ends = [(w.end - start).total_seconds() for w in self.windows]
        self.last_offset = 0.0
        self.presence = Presence()
        self.show = _Bucket()
        self.buckets = [_Bucket() for _ in self.windows]
        self.segment_products: dict[str, str | None] = {}
        self.products: dict[str, _Product] = {}
        self.coupons: dict[str, _Coupon] = {}
        self.lotteries: dict[str, _Lottery] = {}
        self.votes: dict[str, _Vote] = {}
        self.cues: list[CueMark] = []
        self.chat_minutes: dict[int, int] = {}
        self.like_minutes: dict[int, int] = {}
        self._pinned: tuple[str, float] | None = None
        self._questions: dict[str, tuple[float, str]] = {}
        self.refused: dict[str, int] = dict.fromkeys(REFUSED, 0)
        self.handed_over: dict[str, int] = {}
        self.questions = QuestionLedger()
        self.stream_issues: list[StreamIssue] = []
        self._stream_open: dict[str, tuple[float, str]] = {}  # down | quality -> since, detail
        self.seconds: dict[str, dict[int, int]] = {k: {} for k in ("orders", "clicks", "likes", "chat")}
        self.gmv_seconds: dict[int, Decimal] = {}
        self._handlers: dict[str, Callable[[float, str | None, dict[str, object], _Bucket | None], None]] = {
            "chat": self._chat,
            "like": self._like,
            "gift": self._gift,
            "click": self._click,
            "order": self._order,
            "follow": self._follow,
            "coupon_pushed": self._coupon_pushed,
            "coupon_claimed": self._coupon_claimed,
            "coupon_claim_refused": self._coupon_refused,
            "coupon_sold_out": self._coupon_sold_out,
            "coupon_used": self._coupon_used,
            "vote_opened": self._vote_opened,
            "ballot": self._ballot,
            "vote_closed": self._vote_closed,
            "lottery_opened": self._lottery_opened,
            "lottery_entry": self._lottery_entry,
            "lottery_drawn": self._lottery_drawn,
            "faq_decision": self._faq_decision,
            "question_answered": self._question_answered,
            "question_dismissed": self._question_dismissed,
            "segment_started": self._segment_started,
            "cue_fired": self._cue_fired,
            "cue_missed": self._cue_missed,
            "chat_rejected": self._chat_rejected,
            "limits_refused": self._limits_refused,
            "stream_down": self._stream_down,
            "stream_started": self._stream_up,
            "stream_quality_low": self._quality_low,
            "stream_quality_ok": self._quality_ok,
        }

    # -- the fold --

    def add(self, event: RoomEvent) -> None:
        t = event.ts - self._start_ts
        kind = event.kind
        data: dict[str, object] = dict(event.data) if not isinstance(event.data, dict) else event.data
        viewer = event.viewer_id
        if kind == "viewer_joined" or kind == "viewer_left":
            if viewer is not None and t <= self._end_offset:
                connection = str(data.get("connection_id") or viewer)
                if kind == "viewer_joined":
                    self.presence.joined(viewer, connection, t)
                else:
                    self.presence.left(viewer, connection, t)
                self.last_offset = max(self.last_offset, t)
            return
        if kind == "pin":
            if t <= self._end_offset:
                self._pin(t, data.get("sku"))
            return
        if t < 0:
            return
        if t > self._end_offset:
            if kind in ("order", "coupon_used") and t <= self._end_offset + self._grace:
                self._handlers[kind](t, viewer, data, None)
            return
        self.last_offset = max(self.last_offset, t)
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(t, viewer, data, self._bucket_at(t))

    def add_all(self, events: Iterable[RoomEvent]) -> Tally:
        for event in events:
            self.add(event)
        return self

    def _second(self, series: str, t: float, n: int = 1) -> None:
        bins = self.seconds[series]
        bins[int(t)] = bins.get(int(t), 0) + n

    def _bucket_at(self, t: float) -> _Bucket | None:
        i = bisect_right(self._seg_starts, t) - 1
        if i >= 0 and t < self._seg_ends[i]:
            return self.buckets[i]
        return None

    def _pin(self, t: float, sku: object) -> None:
        if self._pinned is not None:
            pinned, since = self._pinned
            self._product(pinned).pins.append((since, t))
        self._pinned = None
        if sku:
            self._product(str(sku))
            self._pinned = (str(sku), t)

    def _product(self, sku: str) -> _Product:
        product = self.products.get(sku)
        if product is None:
            product = self.products[sku] = _Product()
        return product

    # -- one handler per kind; `seg` is the segment bucket the moment falls in, if any --

    def _chat(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        self.questions.chat(t, data)
        if data.get("role", "viewer") != "viewer" or viewer is None:
            return
        minute = int(t * self.speed // 60)
        self.chat_minutes[minute] = self.chat_minutes.get(minute, 0) + 1
        self._second("chat", t)
        message_id = data.get("message_id")
        if message_id is not None:
            self._questions[str(message_id)] = (t, str(data.get("text") or ""))
        for b in (self.show, seg):
            if b is not None:
                b.chat += 1
                b.interactors.add(viewer)

    def _like(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        count = _int(data.get("count"), 1)
        minute = int(t * self.speed // 60)
        self.like_minutes[minute] = self.like_minutes.get(minute, 0) + count
        self._second("likes", t, count)
        for b in (self.show, seg):
            if b is not None:
                b.likes += count
                if viewer is not None:
                    b.interactors.add(viewer)

    def _gift(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        for b in (self.show, seg):
            if b is not None:
                b.gifts += 1

    def _follow(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        for b in (self.show, seg):
            if b is not None:
                b.follows += 1
                if viewer is not None:
                    b.followers.add(viewer)

    def _click(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        sku = data.get("sku")
        if not sku:
            return
        product = self._product(str(sku))
        product.clicks += 1
        self._second("clicks", t)
        if viewer is not None:
            product.clickers.add(viewer)
        for b in (self.show, seg):
            if b is not None:
                b.clicks += 1
                if viewer is not None:
                    b.clickers.add(viewer)

    def _order(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        amount = money(data.get("amount"))
        units = _int(data.get("quantity"), 1)
        self._second("orders", t)
        self.gmv_seconds[int(t)] = self.gmv_seconds.get(int(t), Decimal("0.00")) + amount
        sku = data.get("sku")
        if sku:
            product = self._product(str(sku))
            product.orders += 1
            product.units += units
            product.gmv += amount
            if viewer is not None:
                product.buyers.add(viewer)
        for b in (self.show, seg):
            if b is not None:
                b.orders += 1
                b.units += units
                b.gmv += amount
                if viewer is not None:
                    b.buyers.add(viewer)

    def _coupon(self, data: dict[str, object]) -> _Coupon:
        coupon_id = str(data.get("coupon_id"))
        coupon = self.coupons.get(coupon_id)
        if coupon is None:
            coupon = self.coupons[coupon_id] = _Coupon()
        return coupon

    def _coupon_pushed(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        coupon = self._coupon(data)
        coupon.pushed += 1
        coupon.title = str(data.get("title") or coupon.title)
        for b in (self.show, seg):
            if b is not None:
                b.pushed += 1

    def _coupon_claimed(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self._coupon(data).claimed += 1
        for b in (self.show, seg):
            if b is not None:
                b.claimed += 1

    def _coupon_refused(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self._coupon(data).refused += 1

    def _coupon_sold_out(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self._coupon(data).sold_out = True

    def _coupon_used(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self._coupon(data).used += 1
        for b in (self.show, seg):
            if b is not None:
                b.used += 1

    def _vote_opened(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        options = data.get("options")
        self.votes[str(data.get("vote_id"))] = _Vote(
            question=str(data.get("question") or ""),
            opened=t,
            options=[str(o) for o in options] if isinstance(options, list) else [],
        )

    def _ballot(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        if viewer is None:
            return
        vote = self.votes.get(str(data.get("vote_id")))
        if vote is not None:
            vote.voters.add(viewer)
        for b in (self.show, seg):
            if b is not None:
                b.voters.add(viewer)
                b.interactors.add(viewer)

    def _vote_closed(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        vote = self.votes.get(str(data.get("vote_id")))
        if vote is not None:
            vote.closed = t
            vote.tallies = _tallies(data.get("tallies"), vote.options)
            vote.winner = _option(data.get("winner"), vote.options)

    def _lottery(self, data: dict[str, object]) -> _Lottery:
        lottery_id = str(data.get("lottery_id"))
        lottery = self.lotteries.get(lottery_id)
        if lottery is None:
            lottery = self.lotteries[lottery_id] = _Lottery()
        return lottery

    def _lottery_opened(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        lottery = self._lottery(data)
        lottery.prize = str(data.get("prize") or "")
        lottery.promised = _int(data.get("winners"), 0)

    def _lottery_entry(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        lottery = self._lottery(data)
        lottery.entries += 1
        if viewer is not None:
            lottery.entrants.add(viewer)
        for b in (self.show, seg):
            if b is not None:
                b.entries += 1
                if viewer is not None:
                    b.interactors.add(viewer)

    def _lottery_drawn(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        winners = data.get("winners")
        lottery = self._lottery(data)
        lottery.winners = len(winners) if isinstance(winners, list) else 0
        lottery.promised = _int(data.get("promised"), lottery.promised)
        counted = data.get("entrants")
        lottery.counted = counted if isinstance(counted, int) and not isinstance(counted, bool) else None
        eligible = data.get("eligible", data.get("entrants"))
        lottery.eligible = eligible if isinstance(eligible, int) and not isinstance(eligible, bool) else None

    def _faq_decision(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        decision = data.get("decision")
        if decision not in BOT_DECISIONS:
            return
        self.questions.decided(t, data)
        if decision == "escalated":
            asked = self._questions.get(str(data.get("message_id")))
            text = " ".join(asked[1].split()) if asked is not None else ""
            if text:
                self.handed_over[text] = self.handed_over.get(text, 0) + 1
        for b in (self.show, seg):
            if b is not None:
                b.bot[str(decision)] += 1

    def _question_answered(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self.questions.answered(t, data)
        if data.get("proposed") is not None:
            outcome = "suggested_edited" if data.get("edited") is True else "suggested_sent"
            for b in (self.show, seg):
                if b is not None:
                    b.bot[outcome] += 1
        asked = self._questions.get(str(data.get("message_id")))
        if asked is None:
            return
        for b in (self.show, seg):
            if b is not None:
                b.human.append(t - asked[0])

    def _question_dismissed(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self.questions.dismissed(t, data)
        for b in (self.show, seg):
            if b is not None:
                b.bot["dismissed"] += 1

    def _segment_started(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        product = data.get("product")
        self.segment_products[str(data.get("segment_id"))] = None if product is None else str(product)

    def _cue_fired(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        late = data.get("late")
        seconds = _seconds_after(data.get("scheduled_at"), self._start_ts + t)
        if seconds is None:
            seconds = float(late) if isinstance(late, int | float) and not isinstance(late, bool) else 0.0
        self.cues.append(
            CueMark(t, str(data.get("cue_id")), str(data.get("kind")), seconds, False, late is True)
        )

    def _cue_missed(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        self.cues.append(CueMark(t, str(data.get("cue_id")), str(data.get("kind")), 0.0, True))

    def _chat_rejected(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        self.refused["chat"] += _int(data.get("count"), 1)  # one row per burst of refused lines

    def _limits_refused(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        for what in REFUSED[1:]:
            self.refused[what] += _int(data.get(what), 0)

    def _stream_down(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        if data.get("slot", "host") == "host":
            self._stream_open.setdefault("down", (t, str(data.get("reason") or "")))

    def _stream_up(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        if data.get("slot", "host") == "host":
            self._close_issue("down", t)

    def _quality_low(
        self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None
    ) -> None:
        problems = data.get("problems")
        detail = "; ".join(str(p) for p in problems) if isinstance(problems, list) else ""
        if data.get("slot", "host") == "host":
            self._stream_open.setdefault("quality", (t, detail))

    def _quality_ok(self, t: float, viewer: str | None, data: dict[str, object], seg: _Bucket | None) -> None:
        if data.get("slot", "host") == "host":
            self._close_issue("quality", t)

    def _close_issue(self, kind: str, t: float) -> None:
        opened = self._stream_open.pop(kind, None)
        if opened is not None:
            self.stream_issues.append(StreamIssue(opened[0], t, kind, opened[1]))

    # -- the result --

    def result(self, end: dt.datetime | None = None) -> ShowReview:
        """KPIs as of `end` (default: the run's end, else the last event); the tally can go on after."""
        end = end or self.end or self.start + dt.timedelta(seconds=self.last_offset)
        e = (end - self.start).total_seconds()
        spans = self.presence.spans(e)
        concurrency = Concurrency(spans)
        pins = {sku: list(p.pins) for sku, p in self.products.items()}
        if self._pinned is not None:
            sku, since = self._pinned
            pins.setdefault(sku, []).append((since, e))
        pins = {
            sku: [(max(a, 0.0), min(b, e)) for a, b in ws if min(b, e) > max(a, 0.0)]
            for sku, ws in pins.items()
        }
        vote_windows = [(v.opened, v.closed if v.closed is not None else e) for v in self.votes.values()]

        show = _kpis(self.show, spans, concurrency, (0.0, e), vote_windows, whole=True)
        segments = tuple(
            SegmentKpis(
                window=w,
                product=self.segment_products.get(w.id, w.product),
                kpis=_kpis(
                    bucket,
                    spans,
                    concurrency,
                    (self._seg_starts[i], min(self._seg_ends[i], e)),
                    vote_windows,
                    whole=False,
                ),
            )
            for i, (w, bucket) in enumerate(zip(self.windows, self.buckets, strict=True))
        )
        minutes = math.ceil(e * self.speed / 60) if e > 0 else 0
        return ShowReview(
            start=self.start,
            end=end,
            show=show,
            segments=segments,
            products=tuple(
                _product_kpis(sku, p, pins.get(sku, []), spans) for sku, p in sorted(self.products.items())
            ),
            coupons=tuple(
                CouponKpis(cid, c.title, c.pushed, c.claimed, c.refused, c.used, c.sold_out)
                for cid, c in self.coupons.items()
            ),
            lotteries=tuple(
                LotteryKpis(
                    lid,
                    lot.prize,
                    lot.entries,
                    max(len(lot.entrants), lot.counted or 0),
                    lot.winners,
                    lot.promised,
                    lot.eligible,
                )
                for lid, lot in self.lotteries.items()
            ),
            votes=tuple(
                VoteKpis(
                    vid,
                    v.question,
                    _turnout(v.voters, spans, [(v.opened, v.closed if v.closed is not None else e)]),
                    v.winner,
                    tuple(zip(v.options, v.tallies, strict=False)),
                )
                for vid, v in self.votes.items()
            ),
            concurrency=tuple(concurrency.steps()),
            chat_per_minute=tuple(self.chat_minutes.get(m, 0) for m in range(minutes)),
            likes_per_minute=tuple(self.like_minutes.get(m, 0) for m in range(minutes)),
            cues=tuple(self.cues),
            online_now=self.presence.online_now(),
            speed=self.speed,
            refused=tuple((what, n) for what, n in self.refused.items() if n),
            handed_over=tuple(sorted(self.handed_over.items(), key=lambda item: (-item[1], item[0]))),
            queued=self.questions.result(),
            stream_issues=tuple(
                [
                    *self.stream_issues,
                    *(
                        StreamIssue(since, e, kind, detail)
                        for kind, (since, detail) in self._stream_open.items()
                    ),
                ]
            ),
            moments=Moments(
                orders=dict(self.seconds["orders"]),
                gmv=dict(self.gmv_seconds),
                clicks=dict(self.seconds["clicks"]),
                likes=dict(self.seconds["likes"]),
                chat=dict(self.seconds["chat"]),
                pins=tuple(sorted((a, b, sku) for sku, windows in pins.items() for a, b in windows)),
            ),
        )


def compute(
    events: Iterable[RoomEvent],
    start: dt.datetime,
    end: dt.datetime | None = None,
    segments: Iterable[SegmentWindow] = (),
    speed: float = 1.0,
) -> ShowReview:
    """KPIs of one run from its events in log order."""
    return Tally(start, segments, end, speed=speed).add_all(events).result(end)


def _kpis(
    bucket: _Bucket,
    spans: dict[str, list[Span]],
    concurrency: Concurrency,
    window: Span,
    vote_windows: list[Span],
    *,
    whole: bool,
) -> Kpis:
    a, b = window
    watched = 0.0
    present: set[str] = set()
    retained = 0
    for viewer, stretches in spans.items():
        seen = whole  # the whole run counts everyone who joined, even for an instant
        stays = False
        for s, e in stretches:
            if s < b and a < e:
                watched += min(e, b) - max(s, a)
                seen = True
            if s < b <= e:
                stays = True
        if seen:
            present.add(viewer)
            retained += stays
    viewers = len(present)
    peak, peak_at = concurrency.peak(a, b) if b > a else (0, a)
    clickers = bucket.clickers & present
    clipped_votes = [(max(x, a), min(y, b)) for x, y in vote_windows if min(y, b) > max(x, a)]
    return Kpis(
        unique_viewers=viewers,
        watch=Ratio(watched, viewers),
        peak_concurrent=peak,
        peak_at=peak_at,
        retention=Ratio(retained, viewers),
        ctr=Ratio(len(clickers), viewers),
        conversion=Ratio(len(bucket.buyers & bucket.clickers), len(bucket.clickers)),
        buyer_rate=Ratio(len(bucket.buyers & present), viewers),
        orders=bucket.orders,
        units=bucket.units,
        gmv=bucket.gmv,
        gmv_per_viewer=Ratio(bucket.gmv, viewers),
        interaction=Ratio(len(bucket.interactors & present), viewers),
        likes=bucket.likes,
        gifts=bucket.gifts,
        chat_messages=bucket.chat,
        clicks=bucket.clicks,
        follows=bucket.follows,
        follow_rate=Ratio(len(bucket.followers & present), viewers),
        bot=BotCounts(**bucket.bot),
        human_answer_seconds=tuple(bucket.human),
        coupons_pushed=bucket.pushed,
        coupons_claimed=bucket.claimed,
        coupons_used=bucket.used,
        lottery_entries=bucket.entries,
        vote_turnout=_turnout(bucket.voters, spans, clipped_votes),
    )


def _turnout(voters: set[str], spans: dict[str, list[Span]], windows: list[Span]) -> Ratio:
    present = {v for v, stretches in spans.items() if overlaps(stretches, windows)} if windows else set()
    return Ratio(len(voters & present), len(present))


def _product_kpis(sku: str, p: _Product, pins: list[Span], spans: dict[str, list[Span]]) -> ProductKpis:
    exposed = {v for v, stretches in spans.items() if overlaps(stretches, pins)} if pins else set()
    clicked = exposed & p.clickers
    bought = clicked & p.buyers
    return ProductKpis(
        sku=sku,
        pinned_seconds=sum(b - a for a, b in pins),
        exposed=len(exposed),
        clickers=len(p.clickers),
        clicks=p.clicks,
        ctr=Ratio(len(clicked), len(exposed)),
        buyers=len(p.buyers),
        conversion=Ratio(len(p.buyers & p.clickers), len(p.clickers)),
        buyer_rate=Ratio(len(exposed & p.buyers), len(exposed)),
        orders=p.orders,
        units=p.units,
        gmv=p.gmv,
        gmv_per_viewer=Ratio(p.gmv, len(exposed)),
        funnel=(len(exposed), len(clicked), len(bought)),
    )


def _option(winner: object, options: list[str]) -> str | None:
    """A vote's winner as viewers saw it: the room logs the option's index."""
    if winner is None or isinstance(winner, bool):
        return None
    if isinstance(winner, int):
        return options[winner] if 0 <= winner < len(options) else str(winner)
    text = str(winner)
    return options[int(text)] if text.isdigit() and int(text) < len(options) else text


def _tallies(value: object, options: list[str]) -> list[int]:
    """Ballots per option, in the vote's order: the room logs a list, others a map by index or name."""
    if isinstance(value, list):
        return [_int(n, 0) for n in value]
    if isinstance(value, dict):
        return [
            _int(value.get(option, value.get(i, value.get(str(i)))), 0) for i, option in enumerate(options)
        ]
    return []


def _seconds_after(scheduled: object, at: float) -> float | None:
    """How long after its scheduled time (ISO 8601) something happened at epoch `at`."""
    if not isinstance(scheduled, str) or not scheduled:
        return None
    try:
        when = dt.datetime.fromisoformat(scheduled)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, at - when.timestamp())


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default
