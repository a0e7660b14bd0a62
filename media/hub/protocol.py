"""Every message on the room socket, as pydantic models: one definition for parsing, validation and docs.

Messages are JSON objects `{"type": ..., ...}`. What a client sends is parsed with
`parse_incoming` (a discriminated union on `type`); what the room sends is built from the
`Out*` models and encoded once per batch (a batch is a JSON array of messages).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Role = Literal["viewer", "bot", "team", "host"]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
CueId = Annotated[str | None, Field(default=None, max_length=64)]


def _web_link(value: str) -> str:
    """Only http(s) links reach a viewer's page: no `javascript:`, `data:` or scheme-relative links,
    no spaces or control characters a browser might strip before reading the scheme."""
    if not re.fullmatch(r"https?://[^\s/?#@]+[^\s]*", value, flags=re.IGNORECASE) or not value.isprintable():
        raise ValueError("a link must start with http:// or https:// and a host")
    return value


WebLink = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_web_link)]


class Message(BaseModel):
    # No NaN or infinity anywhere: a number that crosses the boundary is a real number.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- viewer → room


class Chat(Message):
    """A viewer's chat line (also how a lottery keyword 口令 is typed)."""

    type: Literal["chat"]
    text: Text


class Like(Message):
    type: Literal["like"]
    count: int = Field(default=1, ge=1, le=50)


class SendGift(Message):
    """A named gift (道具) from room.yaml; no payment involved."""

    type: Literal["gift"]
    gift_id: Key


class CastVote(Message):
    type: Literal["vote"]
    vote_id: Key
    option: int = Field(ge=0, le=19)


class EnterLottery(Message):
    type: Literal["enter_lottery"]
    lottery_id: Key


class ClaimCoupon(Message):
    type: Literal["claim_coupon"]
    coupon_id: Key


class ClickProduct(Message):
    type: Literal["click_product"]
    sku: Key


class FollowRoom(Message):
    type: Literal["follow"]


class WatchPath(Message):
    """How this viewer's player plays the video: liveroom's WebRTC (`whep`), an external SFU's WebRTC
    (`sfu`) or HLS (`hls`); `fallback` when it went to HLS because WebRTC could not connect."""

    type: Literal["playback"]
    path: Literal["whep", "sfu", "hls"]
    fallback: bool = False


ViewerMessage = (
    Chat | Like | SendGift | CastVote | EnterLottery | ClaimCoupon | ClickProduct | FollowRoom | WatchPath
)

# ---------------------------------------------------------------- operator / bot → room


class CouponSpec(Message):
    id: Key
    title: Annotated[str, Field(min_length=1, max_length=200)]
    link: WebLink
    discount: Annotated[str, Field(default="", max_length=100)]
    quantity: int | None = Field(default=None, ge=1)
    valid_minutes: float | None = Field(default=None, gt=0)


class Eligibility(Message):
    """Who may win, decided at the draw (entries are open to everyone not muted)."""

    min_watch_seconds: float = Field(default=0, ge=0)
    present: bool = False
    require: list[Literal["claimed_coupon", "clicked_product"]] = Field(default_factory=list)


class Say(Message):
    type: Literal["say"]
    text: Text
    reply_to: int | None = None
    cue: CueId


class PinProduct(Message):
    """Pin a product card; `sku` null unpins."""

    type: Literal["pin_product"]
    sku: Key | None
    cue: CueId


class PushCoupon(Message):
    type: Literal["push_coupon"]
    coupon: CouponSpec
    cue: CueId


class OpenVote(Message):
    type: Literal["open_vote"]
    vote_id: Key
    question: Annotated[str, Field(min_length=1, max_length=200)]
    options: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]], Field(min_length=2, max_length=20)
    ]
    duration_s: float = Field(gt=0, le=24 * 3600)
    allow_change: bool = False
    cue: CueId


class CloseVote(Message):
    type: Literal["close_vote"]
    vote_id: Key
    cue: CueId


class OpenLottery(Message):
    type: Literal["open_lottery"]
    lottery_id: Key
    prize: Annotated[str, Field(min_length=1, max_length=200)]
    winners: int = Field(ge=1, le=1000)
    keyword: Annotated[str | None, Field(default=None, max_length=64)]
    window_s: float = Field(gt=0, le=24 * 3600)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    prize_value: float | None = Field(default=None, ge=0)
    cue: CueId


class DrawLottery(Message):
    type: Literal["draw_lottery"]
    lottery_id: Key
    cue: CueId


class StartCountdown(Message):
    type: Literal["start_countdown"]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    duration_s: float = Field(gt=0, le=24 * 3600)
    sku: Key | None = None
    stock: int | None = Field(default=None, ge=0)
    cue: CueId


class Mute(Message):
    type: Literal["mute"]
    viewer_id: Annotated[str, Field(min_length=1, max_length=128)]
    muted: bool = True


class DeleteMessage(Message):
    type: Literal["delete_message"]
    message_id: int


class AnswerQuestion(Message):
    """A team answer to a question waiting for a human; posted quoting the viewer and starting with
    @their nickname, like the bot's replies (unless the text already does). `faq_id` names the
    FAQ entry the answer belongs to (the bot's proposal sent as it is or edited, or one the team picked)."""

    type: Literal["answer_question"]
    message_id: int
    text: Text
    faq_id: Key | None = None


class DismissQuestion(Message):
    """Take a waiting question off the queue without answering it (spam, already answered aloud)."""

    type: Literal["dismiss_question"]
    message_id: int


OperatorMessage = (
    Say
    | PinProduct
    | PushCoupon
    | OpenVote
    | CloseVote
    | OpenLottery
    | DrawLottery
    | StartCountdown
    | Mute
    | DeleteMessage
    | AnswerQuestion
    | DismissQuestion
)

Incoming = Annotated[ViewerMessage | OperatorMessage, Field(discriminator="type")]
INCOMING: TypeAdapter[ViewerMessage | OperatorMessage] = TypeAdapter(Incoming)
VIEWER_TYPES = frozenset(m.model_fields["type"].annotation.__args__[0] for m in ViewerMessage.__args__)  # type: ignore[union-attr]
OPERATOR_TYPES = frozenset(m.model_fields["type"].annotation.__args__[0] for m in OperatorMessage.__args__)  # type: ignore[union-attr]


class ProtocolError(Exception):
    """A frame that is not a valid message; `code` goes back to the client in an `error`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


def parse_incoming(raw: str | bytes) -> ViewerMessage | OperatorMessage:
    """Parse one client frame (a single JSON object), or raise `ProtocolError`."""
    try:
        return INCOMING.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ProtocolError("malformed", "not JSON") from None
        if first["type"] == "dict_type":
            raise ProtocolError("malformed", "not a JSON object") from None
        if first["type"] in ("union_tag_invalid", "union_tag_not_found", "model_attributes_type"):
            raise ProtocolError("unknown_type", str(first.get("input", ""))[:64]) from None
        raise ProtocolError("invalid", first_problem(exc, skip=1, whole="message")) from None


def first_problem(exc: ValidationError, *, skip: int = 0, whole: str = "body") -> str:
    """The first problem of a validation error as `where: what` (short), for an error reply.

    `skip` leaves out the leading parts of the location (a discriminated union's tag); `whole`
    names the input when the problem is the whole of it (not JSON, not an object)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"][skip:]) or whole
    return f"{where}: {first['msg']}"[:200]


# ---------------------------------------------------------------- room → client


class Out(Message):
    """A message the room sends. `STAFF_FIELDS` are left out of what viewers receive;
    `STAFF_ONLY` messages go to the team and the host only."""

    STAFF_FIELDS: ClassVar[frozenset[str]] = frozenset()
    STAFF_ONLY: ClassVar[bool] = False

    def for_viewers(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(self.STAFF_FIELDS), exclude_none=True)

    def for_staff(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ChatLine(Out):
    type: Literal["chat"] = "chat"
    id: int
    role: Role
    nickname: str
    text: str
    ts: float  # epoch seconds
    reply_to: int | None = None
    quote: str | None = None  # the quoted message's text, for a reply
    cue: str | None = None
    viewer_id: str | None = None

    STAFF_FIELDS = frozenset({"viewer_id"})


class ChatDeleted(Out):
    type: Literal["chat_deleted"] = "chat_deleted"
    message_id: int


class ProductCardOut(Message):
    sku: str
    name: str
    price: float
    live_price: float | None = None
    stock: int | None = None
    description: str = ""
    link: str  # the tracked /go/{room}/{sku} link
    sold_out: bool = False


class Pinned(Out):
    """Pin a product card (`product` null: unpinned). `product.sold_out` is true once the show
    run's orders of the product reached its stock: the card shows 已售罄 and cannot be bought.
    When a new run starts, a sold-out card still pinned is sent again without it."""

    type: Literal["pin_product"] = "pin_product"
    product: ProductCardOut | None
    cue: str | None = None


class ProductSoldOut(Out):
    """The show run's orders of a product reached its stock (`product_out_of_stock` in the
    event log): its card, pinned now or later in the run, shows 已售罄. Once per product per run."""

    type: Literal["product_sold_out"] = "product_sold_out"
    sku: str
    run_id: int | None = None  # the run it sold out in; an instance in another run ignores it

    STAFF_FIELDS = frozenset({"run_id"})


class ProductStock(Out):
    """Units of a product left in this show run after its orders (its `stock` minus what was ordered):
    the 小黄车 shows it. Sent after each order while some are left; `product_sold_out` says when none are."""

    type: Literal["product_stock"] = "product_stock"
    sku: str
    left: int
    run_id: int | None = None  # the run it counts; an instance in another run ignores it

    STAFF_FIELDS = frozenset({"run_id"})


class CouponOut(Out):
    type: Literal["coupon"] = "coupon"
    coupon_id: str
    title: str
    discount: str = ""
    quantity: int | None = None
    remaining: int | None = None
    expires_at: float | None = None
    sold_out: bool = False
    claimed: bool = False  # true only in what one viewer receives about their own claim
    cue: str | None = None


class CouponStockOut(Out):
    type: Literal["coupon_stock"] = "coupon_stock"
    coupon_id: str
    remaining: int | None
    sold_out: bool


class CouponClaimReply(Out):
    """The answer to one viewer's claim; `link` only on success."""

    type: Literal["coupon_claim"] = "coupon_claim"
    coupon_id: str
    ok: bool
    # no_token: the socket came without a viewer id (reload the page); limit: too many from one address
    reason: Literal["already_claimed", "sold_out", "expired", "unknown", "no_token", "limit"] | None = None
    remaining: int | None = None
    link: str | None = None


class VoteOpened(Out):
    type: Literal["vote_open"] = "vote_open"
    vote_id: str
    question: str
    options: list[str]
    closes_at: float
    allow_change: bool
    tallies: list[int]
    my_option: int | None = None
    cue: str | None = None


class VoteUpdate(Out):
    type: Literal["vote_update"] = "vote_update"
    vote_id: str
    tallies: list[int]


class VoteClosed(Out):
    type: Literal["vote_close"] = "vote_close"
    vote_id: str
    tallies: list[int]
    winner: int | None
    winner_text: str | None = None
    cue: str | None = None


class VoteReply(Out):
    type: Literal["vote_ack"] = "vote_ack"
    vote_id: str
    option: int
    ok: bool
    reason: Literal["closed", "unknown", "already_voted", "bad_option", "no_token"] | None = None


class LotteryOpened(Out):
    type: Literal["lottery_open"] = "lottery_open"
    lottery_id: str
    prize: str
    winners: int
    keyword: str | None = None
    seed_hash: str
    closes_at: float
    eligibility: Eligibility
    entrants: int = 0
    entered: bool = False
    cue: str | None = None


class LotteryUpdate(Out):
    type: Literal["lottery_update"] = "lottery_update"
    lottery_id: str
    entrants: int


class LotteryEntryReply(Out):
    type: Literal["lottery_entered"] = "lottery_entered"
    lottery_id: str
    ok: bool
    reason: Literal["closed", "unknown", "already_entered", "muted", "no_token", "limit"] | None = None


class Winner(Message):
    viewer_id: str
    nickname: str


class LotteryResult(Out):
    """The draw and its proof: sha256(seed) was published at open; anyone can redraw."""

    type: Literal["lottery_result"] = "lottery_result"
    lottery_id: str
    draw_id: int
    prize: str
    seed: str
    seed_hash: str
    algorithm: str
    entrants: int
    eligible: int
    winners: list[Winner]
    cue: str | None = None
    promised: int | None = None  # winners the lottery was opened with
    short_note: str | None = None  # why fewer winners than promised were drawn, in the room's language


class Countdown(Out):
    type: Literal["countdown"] = "countdown"
    title: str
    deadline: float
    sku: str | None = None
    stock: int | None = None
    cue: str | None = None


class GiftSent(Out):
    type: Literal["gift"] = "gift"
    nickname: str
    gift_id: str
    name: str
    icon: str
    viewer_id: str | None = None

    STAFF_FIELDS = frozenset({"viewer_id"})


class Notice(Out):
    type: Literal["notice"] = "notice"
    text: str
    level: Literal["info", "warn"] = "info"


class Stats(Out):
    type: Literal["stats"] = "stats"
    online: int
    peak: int
    likes: int
    viewers: int | None = None
    clicks: int | None = None
    claims: int | None = None
    orders: int | None = None
    gmv: float | None = None  # the orders' amounts

    STAFF_FIELDS = frozenset({"viewers", "clicks", "claims", "orders", "gmv"})


class ErrorReply(Out):
    type: Literal["error"] = "error"
    code: str
    message: str
    detail: str | None = None


class MuteChanged(Out):
    type: Literal["mute"] = "mute"
    viewer_id: str
    muted: bool
    by: str

    STAFF_ONLY = True


class Proposal(Message):
    """The bot's proposed answer to a question it was not sure enough to answer: the team sends it
    with one tap (`answer_question` with its `faq_id` and `text`), edits it, or dismisses the question."""

    faq_id: str
    text: str
    score: float | None = None


class Question(Out):
    """A viewer question waiting for a human (the bot escalated it), with the bot's proposal if any."""

    type: Literal["question"] = "question"
    message_id: int
    viewer_id: str | None
    nickname: str
    text: str
    ts: float
    reason: str | None = None
    proposal: Proposal | None = None

    STAFF_ONLY = True


class QuestionAnswered(Out):
    type: Literal["question_answered"] = "question_answered"
    message_id: int
    answer_message_id: int
    by: str

    STAFF_ONLY = True


class QuestionDismissed(Out):
    type: Literal["question_dismissed"] = "question_dismissed"
    message_id: int
    by: str

    STAFF_ONLY = True


class RoomInfo(Message):
    id: str
    title: str
    language: str
    bot_name: str


class GiftInfo(Message):
    id: str
    name: str
    icon: str


class Snapshot(Message):
    messages: list[dict[str, Any]]
    pinned: dict[str, Any] | None = None
    coupons: list[dict[str, Any]] = Field(default_factory=list)
    vote: dict[str, Any] | None = None
    lottery: dict[str, Any] | None = None
    last_draw: dict[str, Any] | None = None
    countdown: dict[str, Any] | None = None
    stats: dict[str, Any] | None = None
    questions: list[dict[str, Any]] = Field(default_factory=list)
    sold_out: list[str] = Field(default_factory=list)  # skus sold out in this run (the 小黄车 says 已售罄)
    stock_left: dict[str, int] = Field(default_factory=dict)  # units left in this run, of products ordered
    online_history: list[tuple[float, int]] = Field(default_factory=list)  # (ts, online), for the team


class Welcome(Out):
    """The first message on a socket: who you are, the room, and what a late joiner must see."""

    type: Literal["welcome"] = "welcome"
    viewer_id: str
    nickname: str
    role: Role
    muted: bool = False
    room: RoomInfo
    gifts: list[GiftInfo]
    snapshot: Snapshot


OUT_MODELS: tuple[type[Out], ...] = (
    Welcome,
    ChatLine,
    ChatDeleted,
    Pinned,
    ProductSoldOut,
    ProductStock,
    CouponOut,
    CouponStockOut,
    CouponClaimReply,
    VoteOpened,
    VoteUpdate,
    VoteClosed,
    VoteReply,
    LotteryOpened,
    LotteryUpdate,
    LotteryEntryReply,
    LotteryResult,
    Countdown,
    GiftSent,
    Notice,
    Stats,
    ErrorReply,
    MuteChanged,
    Question,
    QuestionAnswered,
    QuestionDismissed,
)
VIEWER_MODELS: tuple[type[Message], ...] = tuple(ViewerMessage.__args__)  # type: ignore[attr-defined]
OPERATOR_MODELS: tuple[type[Message], ...] = tuple(OperatorMessage.__args__)  # type: ignore[attr-defined]
