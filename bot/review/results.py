"""What the review knows about one run, as plain frozen data: KPIs per show, segment and product, the
coupons, lotteries and votes, the cues, the stream's bad stretches and the run's second-by-second
activity. `bot.review.kpi.Tally` makes them from the event log."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from bot.review.records import Ratio
from bot.review.windows import SegmentWindow


@dataclass(frozen=True)
class BotCounts:
    """The FAQ bot's outcomes (`faq_decision`) and what the team did with the questions it queued.

    `escalated` = handed over with no proposal; `suggested` = queued with the bot's proposal, of which
    the team sent `suggested_sent` as they were and `suggested_edited` after changing them;
    `dismissed` = waiting questions (suggested or not) the team took off the queue unanswered."""

    answered: int = 0
    abstained: int = 0
    escalated: int = 0
    suggested: int = 0
    suggested_sent: int = 0
    suggested_edited: int = 0
    dismissed: int = 0

    @property
    def handed_over(self) -> int:
        return self.escalated


@dataclass(frozen=True)
class QueuedQuestion:
    """A viewer's question the bot put in the team's queue, and what became of it.

    `outcome`: `sent` (the bot's proposal, as it was), `edited` (the proposal, changed), `answered`
    (a team answer to a question with no proposal), `dismissed`, or `waiting` (never answered)."""

    message_id: str
    text: str
    at: float  # seconds from the run's start
    decision: str  # escalated | suggested
    reason: str
    proposed: str | None  # the entry the bot proposed
    outcome: str
    answer: str | None = None  # the team's answer, without the leading @nickname
    answer_faq_id: str | None = None  # the entry the team's answer belongs to, when it said
    waited: float | None = None  # seconds until the team answered or dismissed it

    @property
    def is_gap(self) -> bool:
        """The FAQ did not cover it: handed over, or the proposal was not good enough to send as it was."""
        return self.outcome != "sent"


@dataclass(frozen=True)
class Kpis:
    """The KPIs of the whole show or of one segment's window (same names, same formulas)."""

    unique_viewers: int
    watch: Ratio  # seconds watched / unique viewers
    peak_concurrent: int
    peak_at: float  # seconds from the run's start
    retention: Ratio  # viewers still connected at the end / unique viewers
    ctr: Ratio  # viewers who clicked a product / unique viewers
    conversion: Ratio  # buyers who clicked / viewers who clicked
    buyer_rate: Ratio  # buyers / unique viewers
    orders: int
    units: int
    gmv: Decimal
    gmv_per_viewer: Ratio  # GMV / unique viewers
    interaction: Ratio  # viewers who chatted, liked, voted or entered a lottery / unique viewers
    likes: int
    gifts: int
    chat_messages: int
    clicks: int
    follows: int
    follow_rate: Ratio  # 转粉率: viewers who followed / unique viewers
    bot: BotCounts
    human_answer_seconds: tuple[float, ...]
    coupons_pushed: int
    coupons_claimed: int
    coupons_used: int
    lottery_entries: int
    vote_turnout: Ratio  # viewers who voted / viewers present while a vote was open

    @property
    def avg_watch_seconds(self) -> float:
        return self.watch.value

    @property
    def median_human_answer_seconds(self) -> float | None:
        return statistics.median(self.human_answer_seconds) if self.human_answer_seconds else None


@dataclass(frozen=True)
class SegmentKpis:
    window: SegmentWindow
    product: str | None  # as the log says it was featured (a vote winner resolved), else the script's
    kpis: Kpis


@dataclass(frozen=True)
class ProductKpis:
    sku: str
    pinned_seconds: float
    exposed: int  # viewers present while it was pinned
    clickers: int  # viewers who clicked it (any source)
    clicks: int
    ctr: Ratio  # exposed viewers who clicked / exposed viewers
    buyers: int
    conversion: Ratio  # buyers who clicked / viewers who clicked
    buyer_rate: Ratio  # exposed viewers who bought / exposed viewers
    orders: int
    units: int
    gmv: Decimal
    gmv_per_viewer: Ratio  # GMV / exposed viewers
    funnel: tuple[int, int, int]  # exposed → exposed and clicked → exposed, clicked and bought


@dataclass(frozen=True)
class CouponKpis:
    coupon_id: str
    title: str
    pushed: int
    claimed: int
    refused: int
    used: int
    sold_out: bool


@dataclass(frozen=True)
class LotteryKpis:
    lottery_id: str
    prize: str
    entries: int
    entrants: int
    winners: int
    promised: int = 0  # winners the 福袋 was opened with (0: not in the log)
    eligible: int | None = None  # entrants who met its conditions at the draw

    @property
    def short(self) -> bool:
        """Fewer winners drawn than promised (fewer eligible entrants than prizes)."""
        return self.eligible is not None and self.winners < self.promised


@dataclass(frozen=True)
class VoteKpis:
    vote_id: str
    question: str
    turnout: Ratio
    winner: str | None  # the winning option as viewers saw it (a product's name), None before it closed
    tallies: tuple[tuple[str, int], ...] = ()  # each option with its ballots, in the vote's order


@dataclass(frozen=True)
class CueMark:
    offset: float
    cue_id: str
    kind: str
    late: float  # seconds after its scheduled time (wall clock)
    missed: bool
    marked_late: bool = False  # the runner fired it late (past its late threshold)


@dataclass(frozen=True)
class StreamIssue:
    """A stretch when the host's stream was down or poor (seconds from the run's start)."""

    start: float
    end: float
    kind: str  # down | quality
    detail: str = ""  # what was poor: "fps 8 < 15"; why it stopped: "connection_failed"


@dataclass(frozen=True)
class Moments:
    """What happened in each second of the run (seconds from its start), for highlights and clip numbers."""

    orders: dict[int, int] = field(default_factory=dict)
    gmv: dict[int, Decimal] = field(default_factory=dict)
    clicks: dict[int, int] = field(default_factory=dict)
    likes: dict[int, int] = field(default_factory=dict)
    chat: dict[int, int] = field(default_factory=dict)
    pins: tuple[tuple[float, float, str], ...] = ()  # (from, to, sku): each product's 讲解 window

    def count(self, series: str, start: float, end: float) -> int:
        bins: dict[int, int] = getattr(self, series)
        return sum(n for second, n in bins.items() if start <= second < end)

    def amount(self, start: float, end: float) -> Decimal:
        return sum((v for second, v in self.gmv.items() if start <= second < end), Decimal("0.00"))


@dataclass(frozen=True)
class ShowReview:
    """Everything the review knows about one run."""

    start: dt.datetime
    end: dt.datetime
    show: Kpis
    segments: tuple[SegmentKpis, ...]
    products: tuple[ProductKpis, ...]
    coupons: tuple[CouponKpis, ...]
    lotteries: tuple[LotteryKpis, ...]
    votes: tuple[VoteKpis, ...]
    concurrency: tuple[tuple[float, int], ...]  # (seconds from start, viewers) after each change
    chat_per_minute: tuple[int, ...]  # per minute of the script (of wall time at speed 1)
    likes_per_minute: tuple[int, ...]
    cues: tuple[CueMark, ...]
    online_now: int
    speed: float = 1.0
    refused: tuple[tuple[str, int], ...] = ()  # (what, how many) the room refused: chat, limits (non-zero)
    handed_over: tuple[tuple[str, int], ...] = ()  # questions the bot handed to the team, most asked first
    queued: tuple[QueuedQuestion, ...] = ()  # every question the bot queued for the team, in order
    stream_issues: tuple[StreamIssue, ...] = ()
    moments: Moments = field(default_factory=Moments)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class EarlierRun:
    """One of the team's earlier shows in the room, for the review's "compared with before"."""

    show_id: str
    run_id: int
    speed: float
    show: Kpis
    seconds: float = 0.0  # how long it ran (wall clock)
