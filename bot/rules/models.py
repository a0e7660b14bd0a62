"""Typed models of every rule file (docs/rules.md is their reference).

Shape checks live here; checks across files (does this sku exist?) live in
`bot.rules.crosscheck`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.rules.durations import parse_duration
from media.i18n import CATALOGUE

CATALOGUE.add(
    "rules.model",
    {
        "rules.model.duration": {
            "zh-CN": '时长格式不对：“{value}”（可写 90、"90s"、"5m"、"1m30s"、"05:00"）',
            "en": 'bad duration \'{value}\' (write 90, "90s", "5m", "1m30s" or "05:00")',
        },
        "rules.model.id_format": {
            "zh-CN": "编号“{value}”格式不对：只能用小写字母、数字和 -，最长 64 个字符",
            "en": "bad id '{value}': use lowercase letters, digits and '-', at most 64 characters",
        },
        "rules.model.sku_format": {
            "zh-CN": "sku“{value}”格式不对：只能用字母、数字、- 和 _",
            "en": "bad sku '{value}': use letters, digits, '-' and '_'",
        },
        "rules.model.money": {
            "zh-CN": "金额应为最多两位小数的数字，得到“{value}”",
            "en": "money must be a number with at most two decimals, got '{value}'",
        },
        "rules.model.url": {
            "zh-CN": "链接应以 http:// 或 https:// 开头，得到“{value}”",
            "en": "link must start with http:// or https://, got '{value}'",
        },
        "rules.model.timezone_missing": {
            "zh-CN": "开播时间必须带时区，如 2026-11-28T20:00:00+08:00",
            "en": "start time needs a timezone, e.g. 2026-11-28T20:00:00+08:00",
        },
        "rules.model.timezone_name": {
            "zh-CN": "时区“{value}”不认识：写 IANA 时区名，如 Asia/Shanghai、Asia/Hong_Kong、Europe/London",
            "en": "unknown time zone '{value}': write an IANA name such as Asia/Shanghai or Europe/London",
        },
        "rules.model.currency": {
            "zh-CN": "币种“{value}”格式不对：写三个大写字母的币种代码，如 CNY、HKD、USD",
            "en": "bad currency '{value}': write a three-letter code such as CNY, HKD or USD",
        },
        "rules.model.cue_kind_missing": {
            "zh-CN": "提示缺少动作：需要 say、pin、coupon、vote、lottery、countdown、repeat 之一",
            "en": "cue has no action: needs one of say, pin, coupon, vote, lottery, countdown, repeat",
        },
        "rules.model.cue_kind_many": {
            "zh-CN": "一条提示只能有一个动作，这里有 {kinds}",
            "en": "a cue has exactly one action, this one has {kinds}",
        },
        "rules.model.quiet_hours": {
            "zh-CN": '免打扰时段格式应为 "HH:MM-HH:MM"，得到“{value}”',
            "en": "quiet hours must look like \"HH:MM-HH:MM\", got '{value}'",
        },
        "rules.model.blank": {"zh-CN": "不能为空", "en": "must not be empty"},
        "rules.model.network": {
            "zh-CN": "“{value}”不是 IP 地址或网段（如 127.0.0.1、10.0.0.0/8、::1）",
            "en": "'{value}' is not an IP address or network (such as 127.0.0.1, 10.0.0.0/8, ::1)",
        },
        "rules.model.condition_kind": {
            "zh-CN": "when 需要且只能有一个条件（现在是：{kinds}；可用：{allowed}）",
            "en": "when needs exactly one condition (got: {kinds}; allowed: {allowed})",
        },
        "rules.model.action_kind": {
            "zh-CN": "每个动作需要且只能有一个类型（现在是：{kinds}；可用：{allowed}）",
            "en": "each action needs exactly one kind (got: {kinds}; allowed: {allowed})",
        },
        "rules.model.per_viewer": {"zh-CN": "目前每人限领只支持 1", "en": "per_viewer must be 1"},
        "rules.model.live_price_above_price": {
            "zh-CN": "直播价 {live_price} 高于日常价 {price}",
            "en": "live price {live_price} is above the list price {price}",
        },
    },
)

# Viewers' wordings the team may add to one FAQ entry (the written `q` stays at 1–4).
MAX_LEARNED = 50

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError:
        raise PydanticCustomError("model.duration", "bad duration '{value}'", {"value": str(value)}) from None


def _id(value: object) -> object:
    if isinstance(value, str) and not ID_RE.match(value):
        raise PydanticCustomError("model.id_format", "bad id '{value}'", {"value": value})
    return value


def _sku(value: object) -> object:
    if isinstance(value, str) and not SKU_RE.match(value):
        raise PydanticCustomError("model.sku_format", "bad sku '{value}'", {"value": value})
    return value


def _money(value: float) -> float:
    if round(value, 2) != value:
        raise PydanticCustomError("model.money", "bad money '{value}'", {"value": str(value)})
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise PydanticCustomError("model.url", "bad url '{value}'", {"value": value})
    return value


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise PydanticCustomError("model.network", "bad network '{value}'", {"value": value}) from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("model.blank", "must not be empty")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "model.timezone_name", "unknown time zone '{value}'", {"value": value}
        ) from None
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise PydanticCustomError("model.currency", "bad currency '{value}'", {"value": value})
    return value


Duration = Annotated[float, BeforeValidator(_duration)]
Id = Annotated[str, BeforeValidator(_id)]
Sku = Annotated[str, BeforeValidator(_sku)]
Money = Annotated[float, Field(gt=0), AfterValidator(_money)]
Url = Annotated[str, AfterValidator(_url)]
Text = Annotated[str, AfterValidator(_not_blank)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Currency = Annotated[str, AfterValidator(_currency)]
Network = Annotated[str, AfterValidator(_network)]

SEGMENT_KINDS = ("暖场", "产品亮相", "卖点讲解", "体验分享", "限时优惠", "互动答疑", "压轴大促", "收尾")
CUE_KINDS = ("say", "pin", "coupon", "vote", "lottery", "countdown", "repeat")
SegmentKind = Literal["暖场", "产品亮相", "卖点讲解", "体验分享", "限时优惠", "互动答疑", "压轴大促", "收尾"]


class Strict(BaseModel):
    # `.inf` and `.nan` are YAML numbers, but no price, duration or threshold can be one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---- room.yaml -------------------------------------------------------------


AutonomyLevel = Literal["auto", "suggest", "never"]
AUTONOMY_ORDER: dict[str, int] = {"auto": 0, "suggest": 1, "never": 2}


class Autonomy(Strict):
    """How far the bot may go on its own, by FAQ tag: `auto` answers when sure, `suggest` only ever
    proposes an answer for the team to send, `never` hands the question over with no proposal."""

    default: AutonomyLevel = "auto"
    tags: dict[Text, AutonomyLevel] = {}

    def level(self, tags: list[str] | tuple[str, ...]) -> AutonomyLevel:
        """The most careful level among the entry's tags (the default for an untagged one)."""
        levels = [self.tags[tag] for tag in tags if tag in self.tags]
        if not levels:
            return self.default
        return max(levels, key=lambda level: AUTONOMY_ORDER[level])


class BotSettings(Strict):
    name: Text = "助理"
    reply_cap_per_minute: int = Field(20, ge=1, le=120)
    answer_threshold: float | None = Field(None, ge=0, le=1)
    suggest_threshold: float | None = Field(None, ge=0, le=1)
    same_question_window: Duration = 30.0
    autonomy: Autonomy = Autonomy()


class RateLimit(Strict):
    messages: int = Field(5, ge=1, le=1000)
    per: Duration = 10.0


class ModerationSettings(Strict):
    blocked_words: list[Text] = []
    max_message_length: int = Field(200, ge=1, le=2000)
    rate_limit: RateLimit = RateLimit()
    links: Literal["block", "allow", "team_only"] = "team_only"


class GiftSpec(Strict):
    id: Id
    name: Text
    icon: str = "🎁"


class TeamSettings(Strict):
    password: str | None = None
    telegram_chat_id: int | None = None


class IceServerSpec(Strict):
    urls: list[str] | str
    username: str | None = None
    credential: str | None = None  # a fixed password: liveroom's own peers use it, viewers never get it
    secret: str | None = None  # coturn's static-auth-secret: viewers get short-lived credentials
    ttl: Duration = Field(4 * 3600.0, gt=0)


class RestreamSpec(Strict):
    whip_url: Url
    token: str | None = None


def _on_off(value: object) -> object:
    """`hls: true` is `hls: {}` (every default); `hls: false` is no HLS."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


class HlsSpec(Strict):
    """The room's HLS output: the host's H.264 packaged for a CDN (never re-encoded)."""

    segment: Annotated[Duration, Field(ge=0.5, le=6.0)] = 1.0
    parts: bool = True  # LL-HLS partial segments (~0.25 s)
    window: int = Field(6, ge=3, le=30)
    audio: Literal["aac", "opus"] = "aac"


class PlaybackSpec(Strict):
    """Where the viewer page plays the video from; chat, cards and votes always stay on liveroom."""

    via: Literal["whep", "hls"] = "whep"
    whep_url: Url | None = None
    hls_url: Url | None = None
    fallback: bool = True


class LimitsSettings(Strict):
    """Caps per client address, so guessing and scripting are slow (docs/security.md)."""

    new_viewers_per_minute: int = Field(20, ge=1, le=100_000)
    claims_per_coupon: int = Field(10, ge=1, le=100_000)
    entries_per_lottery: int = Field(10, ge=1, le=100_000)
    exempt: list[Network] = ["127.0.0.1", "::1"]


class FollowInvite(Strict):
    after: Duration = Field(180.0, gt=0)
    text: Text = "喜欢主播的话点个关注，开播第一时间提醒你～"


class RoomFile(Strict):
    id: Id
    title: Text
    language: Literal["zh-CN", "en"] = "zh-CN"
    timezone: TimeZone = "Asia/Shanghai"  # the review's and the pages' clock times
    currency: Currency = "CNY"  # amounts in the review: ¥ for CNY
    bot: BotSettings = BotSettings()
    moderation: ModerationSettings = ModerationSettings()
    gifts: list[GiftSpec] | None = None
    team: TeamSettings = TeamSettings()
    synonyms: list[list[Text]] = []
    ice_servers: list[IceServerSpec] = []
    record: bool = False
    restream: RestreamSpec | None = None
    hls: Annotated[HlsSpec | None, BeforeValidator(_on_off)] = None
    playback: PlaybackSpec = PlaybackSpec()
    follow_invite: FollowInvite | None = None
    limits: LimitsSettings = LimitsSettings()


# ---- products.yaml, faq.yaml, coupons.yaml ----------------------------------


class Product(Strict):
    sku: Sku
    name: Text
    aliases: list[Text] = []
    price: Money
    live_price: Money | None = None
    link: Url
    stock: int | None = Field(None, ge=0)
    description: str = ""
    image: Url | None = None  # a picture of the product for the 小黄车 list and the pinned card

    @model_validator(mode="after")
    def _live_price_not_above(self) -> Product:
        if self.live_price is not None and self.live_price > self.price:
            raise PydanticCustomError(
                "model.live_price_above_price",
                "live price above price",
                {"live_price": self.live_price, "price": self.price},
            )
        return self

    @property
    def selling_price(self) -> float:
        return self.live_price if self.live_price is not None else self.price


class FaqEntry(Strict):
    """`q`: the 1–4 example questions the planner wrote; `learned`: viewers' wordings the team added
    from the room (the studio's 加入FAQ, `POST /api/faq/{room}/learn`). Both are matched alike:
    `examples` is the one list; `q` as loaded holds both, the written ones first."""

    id: Id
    product: Sku | None = None
    q: Annotated[list[Text], Field(min_length=1, max_length=4)]
    a: Text
    tags: list[Text] = []
    learned: Annotated[list[Text], Field(max_length=MAX_LEARNED)] = []

    _written: int = PrivateAttr(0)

    @model_validator(mode="after")
    def _learned_are_examples(self) -> FaqEntry:
        # Every reader of `q` (the index, the LLM prompt, the simulator) sees the learned wordings
        # too, without knowing about them. Set once, while the (frozen) model is being validated.
        self._written = len(self.q)
        extra = [w for w in dict.fromkeys(self.learned) if w not in self.q]
        if extra:
            self.__dict__["q"] = [*self.q, *extra]
        return self

    @property
    def written(self) -> int:
        """How many of `q` were written under `q:` (the rest came from `learned:`)."""
        return self._written or len(self.q)

    @field_serializer("q")
    def _q_as_written(self, q: list[str]) -> list[str]:
        # Dumped as the file has it, so a dump validates again to the same entry.
        return q[: self.written]


class Coupon(Strict):
    id: Id
    title: Text
    link: Url
    discount: Money
    min_spend: Annotated[float, Field(ge=0)] = 0
    per_viewer: int = 1
    quantity: int | None = Field(None, ge=1)
    valid_minutes: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_per_viewer(self) -> Coupon:
        if self.per_viewer != 1:
            raise PydanticCustomError("model.per_viewer", "per_viewer must be 1")
        return self


# ---- shows/<id>.yaml --------------------------------------------------------


class WinnerOf(Strict):
    winner_of: Id


ProductRef = Sku | WinnerOf


class VoteOption(Strict):
    product: Sku


class VoteSpec(Strict):
    id: Id
    question: Text
    options: Annotated[list[Text | VoteOption], Field(min_length=2, max_length=6)]
    duration: Duration = Field(gt=0)
    allow_change: bool = False


class Eligibility(Strict):
    min_watch_seconds: int = Field(0, ge=0)
    present: bool = True
    require: list[Literal["claimed_coupon", "clicked_product"]] = []


class LotterySpec(Strict):
    id: Id
    prize: Text
    winners: int = Field(ge=1, le=100)
    keyword: Text | None = None
    window: Duration = Field(gt=0)
    prize_value: Annotated[float, Field(ge=0, le=50000)] | None = None
    eligibility: Eligibility = Eligibility()


class CountdownSpec(Strict):
    title: Text
    duration: Duration = Field(gt=0)
    product: Sku | None = None
    stock: int | None = Field(None, ge=0)


class RepeatSpec(Strict):
    text: Text
    every: Duration = Field(ge=60)
    min_chat_lines: int = Field(5, ge=0)
    until: Duration | None = None


class Cue(Strict):
    at: Duration
    id: Id | None = None
    say: Text | None = None
    pin: ProductRef | None = None
    coupon: Id | None = None
    vote: VoteSpec | None = None
    lottery: LotterySpec | None = None
    countdown: CountdownSpec | None = None
    repeat: RepeatSpec | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Cue:
        kinds = [k for k in CUE_KINDS if getattr(self, k) is not None]
        if not kinds:
            raise PydanticCustomError("model.cue_kind_missing", "cue has no action")
        if len(kinds) > 1:
            raise PydanticCustomError(
                "model.cue_kind_many", "cue has many actions", {"kinds": ", ".join(kinds)}
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CUE_KINDS if getattr(self, k) is not None)


class Segment(Strict):
    id: Id
    kind: SegmentKind
    title: str = ""
    at: Duration | None = None
    duration: Duration = Field(gt=0)
    product: ProductRef | None = None
    talking_points: list[Text] = []
    cues: list[Cue] = []


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("model.timezone_missing", "start time needs a timezone")
    return value


class Roles(Strict):
    host: str | None = None
    assistant: str | None = None
    operator: str | None = None


class ShowScript(Strict):
    title: Text
    theme: str = ""
    starts_at: Annotated[dt.datetime, AfterValidator(_aware)]
    roles: Roles = Roles()
    prices: dict[Sku, Money] = {}
    targets: dict[Sku, Annotated[int, Field(ge=0)]] = {}
    segments: Annotated[list[Segment], Field(min_length=1)]

    def segment_starts(self) -> list[float]:
        """Start offset (seconds) of each segment; a missing `at` follows the previous segment."""
        starts: list[float] = []
        cursor = 0.0
        for segment in self.segments:
            start = segment.at if segment.at is not None else cursor
            starts.append(start)
            cursor = start + segment.duration
        return starts

    @property
    def length(self) -> float:
        starts = self.segment_starts()
        return max(s + seg.duration for s, seg in zip(starts, self.segments, strict=True))

    def timeline(self) -> list[ScheduledCue]:
        """Every cue with its stable id and its offset from the show start, in time order."""
        out: list[ScheduledCue] = []
        for index, (start, segment) in enumerate(zip(self.segment_starts(), self.segments, strict=True)):
            for n, cue in enumerate(segment.cues, start=1):
                out.append(
                    ScheduledCue(
                        id=cue.id or f"{segment.id}-{n}",
                        offset=start + cue.at,
                        segment_index=index,
                        segment=segment,
                        cue=cue,
                    )
                )
        out.sort(key=lambda c: (c.offset, c.segment_index))
        return out


@dataclass(frozen=True)
class ScheduledCue:
    id: str
    offset: float
    segment_index: int
    segment: Segment
    cue: Cue

    @property
    def kind(self) -> str:
        return self.cue.kind


# ---- alerts.yaml ------------------------------------------------------------

_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def _quiet(value: str) -> str:
    if not _QUIET.match(value.strip()):
        raise PydanticCustomError("model.quiet_hours", "bad quiet hours '{value}'", {"value": value})
    return value.strip()


QuietHours = Annotated[str, AfterValidator(_quiet)]


class AlertRule(Strict):
    enabled: bool = True
    cooldown: Duration = 60.0
    quiet_hours: QuietHours | None = None


class StreamDownRule(AlertRule):
    after: Duration = 5.0


class StreamQualityRule(AlertRule):
    min_bitrate_kbps: int = Field(300, ge=0)
    min_fps: int = Field(15, ge=0)
    for_: Duration = Field(10.0, alias="for")


class ViewersDropRule(AlertRule):
    percent: int = Field(20, ge=1, le=100)
    window: Duration = 60.0


class NewPeakRule(AlertRule):
    min_viewers: int = Field(10, ge=0)


class QuestionsWaitingRule(AlertRule):
    min_count: int = Field(1, ge=1)
    digest_every: Duration = 120.0
    oldest: int = Field(3, ge=1, le=20)


class CouponLowRule(AlertRule):
    remaining_percent: int = Field(10, ge=1, le=100)


class CredentialGuessingRule(AlertRule):
    failures: int = Field(20, ge=1)  # tries with a wrong password or token in one minute's report


class CueUpcomingRule(AlertRule):
    before: Duration = 120.0
    kinds: list[Literal["say", "pin", "coupon", "vote", "lottery", "countdown", "repeat"]] = [
        "countdown",
        "lottery",
    ]


class AlertRules(Strict):
    stream_down: StreamDownRule = StreamDownRule()
    stream_quality_low: StreamQualityRule = StreamQualityRule()
    viewers_drop: ViewersDropRule = ViewersDropRule()
    new_peak: NewPeakRule = NewPeakRule()
    questions_waiting: QuestionsWaitingRule = QuestionsWaitingRule()
    coupon_low: CouponLowRule = CouponLowRule()
    coupon_sold_out: AlertRule = AlertRule()
    lottery_result: AlertRule = AlertRule()
    cue_upcoming: CueUpcomingRule = CueUpcomingRule()
    cue_missed: AlertRule = AlertRule()
    rules_reload_failed: AlertRule = AlertRule()
    show_started: AlertRule = AlertRule()
    show_ended: AlertRule = AlertRule()
    restream_failed: AlertRule = AlertRule(cooldown=300.0)
    product_out_of_stock: AlertRule = AlertRule(cooldown=0.0)
    credential_guessing: CredentialGuessingRule = CredentialGuessingRule(cooldown=600.0)


class AlertsFile(Strict):
    quiet_hours: QuietHours | None = None
    rules: AlertRules = AlertRules()


# ---- contingency.yaml (应急预案) ------------------------------------------------

CONDITION_KINDS = (
    "stream_down",
    "stream_up",
    "stream_quality_low",
    "viewers_drop",
    "chat_silent",
    "queue_longer",
    "coupon_sold_out",
    "product_out_of_stock",
)
ACTION_KINDS = ("say", "pin", "coupon", "vote", "lottery", "countdown", "pause_cues", "resume_cues", "alert")


class StreamDownWhen(Strict):
    for_: Duration = Field(10.0, alias="for")


class StreamUpWhen(Strict):
    pass


class QualityLowWhen(Strict):
    min_bitrate_kbps: int = Field(300, ge=0)
    min_fps: int = Field(15, ge=0)
    for_: Duration = Field(10.0, alias="for")


class ViewersDropWhen(Strict):
    percent: int = Field(20, ge=1, le=100)
    window: Duration = 60.0
    min_viewers: int = Field(5, ge=0)


class ChatSilentWhen(Strict):
    for_: Duration = Field(60.0, alias="for")


class QueueLongerWhen(Strict):
    than: int = Field(ge=0)


class CouponSoldOutWhen(Strict):
    coupon: Id | None = None


class OutOfStockWhen(Strict):
    product: Sku | None = None


class Condition(Strict):
    stream_down: StreamDownWhen | None = None
    stream_up: StreamUpWhen | None = None
    stream_quality_low: QualityLowWhen | None = None
    viewers_drop: ViewersDropWhen | None = None
    chat_silent: ChatSilentWhen | None = None
    queue_longer: QueueLongerWhen | None = None
    coupon_sold_out: CouponSoldOutWhen | None = None
    product_out_of_stock: OutOfStockWhen | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        kinds = [k for k in CONDITION_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "model.condition_kind",
                "one condition",
                {"kinds": ", ".join(kinds) or "-", "allowed": ", ".join(CONDITION_KINDS)},
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if getattr(self, k) is not None)


class Action(Strict):
    say: Text | None = None
    pin: Sku | None = None
    coupon: Id | None = None
    vote: VoteSpec | None = None
    lottery: LotterySpec | None = None
    countdown: CountdownSpec | None = None
    pause_cues: Literal[True] | None = None
    resume_cues: Literal[True] | None = None
    alert: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        kinds = [k for k in ACTION_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "model.action_kind",
                "one action",
                {"kinds": ", ".join(kinds) or "-", "allowed": ", ".join(ACTION_KINDS)},
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, k) is not None)


class UnlessRecent(Strict):
    """Skip the plan when the same kind of thing already happened recently."""

    lottery: Duration | None = None
    coupon: Duration | None = None
    vote: Duration | None = None


class ContingencyPlan(Strict):
    id: Id
    title: str = ""
    when: Condition
    do: Annotated[list[Action], Field(min_length=1)]
    cooldown: Duration = 300.0
    unless_recent: UnlessRecent = UnlessRecent()


# ---- the whole rulebook ------------------------------------------------------


@dataclass(frozen=True)
class Rulebook:
    """One consistent generation of every rule file in a directory."""

    directory: str
    room: RoomFile
    products: tuple[Product, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    shows: dict[str, ShowScript] = field(default_factory=dict)
    alerts: AlertsFile = field(default_factory=AlertsFile)
    contingency: tuple[ContingencyPlan, ...] = ()

    def product(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def coupon(self, coupon_id: str) -> Coupon | None:
        return next((c for c in self.coupons if c.id == coupon_id), None)

    def summary_counts(self) -> dict[str, int]:
        return {
            "products": len(self.products),
            "faq": len(self.faq),
            "coupons": len(self.coupons),
            "shows": len(self.shows),
            "segments": sum(len(s.segments) for s in self.shows.values()),
            "cues": sum(len(seg.cues) for s in self.shows.values() for seg in s.segments),
        }


def model_fields_of(model: type[BaseModel]) -> list[str]:
    """The keys a user may write for `model` (aliases where set)."""
    return [f.alias or name for name, f in model.model_fields.items()]
