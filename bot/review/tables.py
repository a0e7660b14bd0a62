"""The report's tables (show, segments, products, coupons, lotteries, votes) as plain rows of typed cells,
so the terminal, the HTML page and the CSV files all show the same numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.review.kpi import Kpis, LotteryKpis, ShowReview
from bot.review.records import Ratio
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review",
    {
        "review.table.show": {"zh-CN": "整场指标", "en": "Show KPIs"},
        "review.table.segments": {"zh-CN": "分环节", "en": "Per segment"},
        "review.table.products": {"zh-CN": "分商品", "en": "Per product"},
        "review.table.coupons": {"zh-CN": "优惠券", "en": "Coupons"},
        "review.table.lotteries": {"zh-CN": "福袋抽奖", "en": "Lotteries"},
        "review.table.votes": {"zh-CN": "投票", "en": "Votes"},
        "review.col.kpi": {"zh-CN": "指标", "en": "KPI"},
        "review.col.value": {"zh-CN": "数值", "en": "Value"},
        "review.col.numerator": {"zh-CN": "分子", "en": "Numerator"},
        "review.col.denominator": {"zh-CN": "分母", "en": "Denominator"},
        "review.col.segment": {"zh-CN": "环节", "en": "Segment"},
        "review.col.segment_id": {"zh-CN": "环节编号", "en": "Segment id"},
        "review.col.local_time": {"zh-CN": "开始时刻", "en": "Started at"},
        "review.col.tallies": {"zh-CN": "得票", "en": "Ballots"},
        "review.col.eligible": {"zh-CN": "符合条件", "en": "Eligible"},
        "review.col.promised": {"zh-CN": "原定中奖", "en": "Promised"},
        "review.col.note": {"zh-CN": "说明", "en": "Note"},
        "review.lottery.short": {
            "zh-CN": "原定抽 {promised} 位，只有 {eligible} 位符合条件（共 {entrants} 人参与），只抽出 {winners} 位",
            "en": "{promised} winners promised, only {eligible} of {entrants} entrants eligible: {winners} drawn",
        },
        "review.col.kind": {"zh-CN": "类型", "en": "Kind"},
        "review.col.time": {"zh-CN": "时间", "en": "Time"},
        "review.col.product": {"zh-CN": "商品", "en": "Product"},
        "review.col.sku": {"zh-CN": "SKU", "en": "SKU"},
        "review.col.coupon": {"zh-CN": "优惠券", "en": "Coupon"},
        "review.col.lottery": {"zh-CN": "福袋", "en": "Lottery"},
        "review.col.prize": {"zh-CN": "奖品", "en": "Prize"},
        "review.col.vote": {"zh-CN": "投票", "en": "Vote"},
        "review.col.question": {"zh-CN": "问题", "en": "Question"},
        "review.col.winner": {"zh-CN": "胜出", "en": "Winner"},
        "review.col.pushed": {"zh-CN": "推送", "en": "Pushed"},
        "review.col.claimed": {"zh-CN": "领取", "en": "Claimed"},
        "review.col.refused": {"zh-CN": "领取失败", "en": "Refused"},
        "review.col.used": {"zh-CN": "核销", "en": "Used"},
        "review.col.sold_out": {"zh-CN": "抢光", "en": "Sold out"},
        "review.col.entries": {"zh-CN": "参与次数", "en": "Entries"},
        "review.col.entrants": {"zh-CN": "参与人数", "en": "Entrants"},
        "review.col.winners": {"zh-CN": "中奖人数", "en": "Winners"},
        "review.col.pinned": {"zh-CN": "讲解时长", "en": "Pinned"},
        "review.col.exposed": {"zh-CN": "曝光人数", "en": "Exposed"},
        "review.col.clickers": {"zh-CN": "点击人数", "en": "Clickers"},
        "review.col.buyers": {"zh-CN": "购买人数", "en": "Buyers"},
        "review.kpi.unique_viewers": {"zh-CN": "观看人数", "en": "Unique viewers"},
        "review.kpi.avg_watch_seconds": {"zh-CN": "人均观看时长", "en": "Avg watch time"},
        "review.kpi.peak_concurrent": {"zh-CN": "在线峰值", "en": "Peak concurrent"},
        "review.kpi.peak_at": {"zh-CN": "峰值时刻", "en": "Peak at"},
        "review.kpi.retention": {"zh-CN": "留存率", "en": "Retention"},
        "review.kpi.ctr": {"zh-CN": "商品点击率", "en": "Click-through"},
        "review.kpi.conversion": {"zh-CN": "成交转化率", "en": "Conversion"},
        "review.kpi.buyer_rate": {"zh-CN": "购买率", "en": "Buyers / viewers"},
        "review.kpi.orders": {"zh-CN": "订单", "en": "Orders"},
        "review.kpi.units": {"zh-CN": "件数", "en": "Units"},
        "review.kpi.gmv": {"zh-CN": "成交额", "en": "GMV"},
        "review.kpi.gmv_per_viewer": {"zh-CN": "UV价值", "en": "GMV per viewer"},
        "review.kpi.interaction_rate": {"zh-CN": "互动率", "en": "Interaction rate"},
        "review.kpi.likes": {"zh-CN": "点赞", "en": "Likes"},
        "review.kpi.gifts": {"zh-CN": "礼物", "en": "Gifts"},
        "review.kpi.chat_messages": {"zh-CN": "评论", "en": "Chat messages"},
        "review.kpi.clicks": {"zh-CN": "点击次数", "en": "Clicks"},
        "review.kpi.follows": {"zh-CN": "新增关注", "en": "Follows"},
        "review.kpi.follow_rate": {"zh-CN": "转粉率", "en": "Follow rate"},
        "review.kpi.bot_answered": {"zh-CN": "机器人已答", "en": "Bot answered"},
        "review.kpi.bot_abstained": {"zh-CN": "机器人不答", "en": "Bot abstained"},
        "review.kpi.bot_escalated": {"zh-CN": "转人工（无建议）", "en": "Handed over"},
        "review.kpi.bot_suggested": {"zh-CN": "机器人建议（待确认）", "en": "Bot suggested"},
        "review.kpi.bot_suggested_sent": {"zh-CN": "建议被直接发送", "en": "Suggestions sent"},
        "review.kpi.bot_suggested_edited": {"zh-CN": "建议被改写后发送", "en": "Suggestions edited"},
        "review.kpi.bot_dismissed": {"zh-CN": "问题被忽略", "en": "Questions dismissed"},
        "review.kpi.median_human_answer_seconds": {"zh-CN": "人工回复中位时长", "en": "Median human answer"},
        "review.kpi.coupons_pushed": {"zh-CN": "发券", "en": "Coupons pushed"},
        "review.kpi.coupons_claimed": {"zh-CN": "领券", "en": "Coupons claimed"},
        "review.kpi.coupons_used": {"zh-CN": "用券", "en": "Coupons used"},
        "review.kpi.lottery_entries": {"zh-CN": "福袋参与", "en": "Lottery entries"},
        "review.kpi.vote_turnout": {"zh-CN": "投票参与率", "en": "Vote turnout"},
        "review.table.refused": {"zh-CN": "被拒绝的请求", "en": "Refused by the room"},
        "review.col.what": {"zh-CN": "请求", "en": "What"},
        "review.col.count": {"zh-CN": "次数", "en": "Count"},
        "review.refused.chat": {
            "zh-CN": "被拦下的评论（违禁词、刷屏、链接、禁言等）",
            "en": "Chat lines refused (words, rate, links, muted…)",
        },
        "review.refused.new_viewers": {
            "zh-CN": "新观众身份（同一网络一分钟内过多）",
            "en": "New viewer ids (too many from one address a minute)",
        },
        "review.refused.claims": {
            "zh-CN": "领券（未带观众身份，或同一网络过多）",
            "en": "Coupon claims (no viewer id, or too many from one address)",
        },
        "review.refused.entries": {
            "zh-CN": "抽奖参与（未带观众身份，或同一网络过多）",
            "en": "Lottery entries (no viewer id, or too many from one address)",
        },
        "review.refused.votes": {
            "zh-CN": "投票（未带观众身份）",
            "en": "Ballots (no viewer id)",
        },
        "review.refused.clicks": {
            "zh-CN": "重复点击（同一人同一商品一分钟内，未计入）",
            "en": "Repeated clicks (same viewer and product within a minute; not counted)",
        },
        "review.yes": {"zh-CN": "是", "en": "yes"},
        "review.no": {"zh-CN": "否", "en": "no"},
    },
)

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_CURRENCY = "CNY"


def format_money(value: Decimal | float, symbol: str = "¥") -> str:
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"-{symbol}{-amount:.2f}" if amount < 0 else f"{symbol}{amount:.2f}"


Cell = str | int | float | Decimal | Ratio | None
"""A table cell. A `Ratio` cell is a rate (shown as a percentage) unless its column says otherwise."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str = ""  # "" | "rate" | "seconds" | "money" | "clock"


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file name
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    row_units: tuple[str, ...] = ()  # a vertical table (KPIs down the side) has one unit per row
    money: str = "¥"  # the currency sign amounts are written with

    def unit(self, row: int, column: int) -> str:
        if self.row_units and column > 0:
            return self.row_units[row]
        return self.columns[column].unit

    def transposed(self, corner: str, key: int = 0) -> Table:
        """Rows become columns: column `key`'s cells head the new columns, the other columns' labels
        head the rows, and `corner` heads the column of labels (what each row is: 指标)."""
        heads = (Column("kpi", corner), *(Column(str(row[key]), str(row[key])) for row in self.rows))
        kept = [c for c in range(len(self.columns)) if c != key]
        rows = tuple((self.columns[c].label, *(row[c] for row in self.rows)) for c in kept)
        units = tuple(self.columns[c].unit for c in kept)
        return Table(self.name, self.title, heads, rows, units, self.money)

    def formatted(self) -> list[list[str]]:
        """Every cell as people read it."""
        return [
            [format_cell(cell, self.unit(r, c), self.money) for c, cell in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]


# The KPIs that exist for the show and for each segment: key, unit, how to read it off `Kpis`.
KPI_ROWS: tuple[tuple[str, str], ...] = (
    ("unique_viewers", ""),
    ("avg_watch_seconds", "seconds"),
    ("peak_concurrent", ""),
    ("peak_at", "clock"),
    ("retention", "rate"),
    ("ctr", "rate"),
    ("conversion", "rate"),
    ("buyer_rate", "rate"),
    ("orders", ""),
    ("units", ""),
    ("gmv", "money"),
    ("gmv_per_viewer", "money"),
    ("interaction_rate", "rate"),
    ("chat_messages", ""),
    ("likes", ""),
    ("gifts", ""),
    ("follows", ""),
    ("follow_rate", "rate"),
    ("clicks", ""),
    ("bot_answered", ""),
    ("bot_abstained", ""),
    ("bot_escalated", ""),
    ("bot_suggested", ""),
    ("bot_suggested_sent", ""),
    ("bot_suggested_edited", ""),
    ("bot_dismissed", ""),
    ("median_human_answer_seconds", "seconds"),
    ("coupons_pushed", ""),
    ("coupons_claimed", ""),
    ("coupons_used", ""),
    ("lottery_entries", ""),
    ("vote_turnout", "rate"),
)


def kpi_value(k: Kpis, key: str) -> Cell:
    """One KPI by its report key (the JSON and CSV name)."""
    match key:
        case "avg_watch_seconds":
            return k.watch
        case "interaction_rate":
            return k.interaction
        case key if key.startswith("bot_"):
            value: int = getattr(k.bot, key.removeprefix("bot_"))
            return value
        case "median_human_answer_seconds":
            return k.median_human_answer_seconds
        case _:
            cell: Cell = getattr(k, key)
            return cell


SEGMENT_KPIS = (
    "unique_viewers",
    "avg_watch_seconds",
    "peak_concurrent",
    "retention",
    "ctr",
    "conversion",
    "orders",
    "gmv",
    "gmv_per_viewer",
    "interaction_rate",
    "chat_messages",
    "likes",
    "bot_answered",
    "bot_suggested",
    "bot_escalated",
    "coupons_claimed",
    "lottery_entries",
)
_UNITS = dict(KPI_ROWS)


def join_words(items: list[str] | tuple[str, ...], lang: str) -> str:
    """A list in a sentence: 甲、乙、丙 / a, b, c."""
    return (", " if lang == "en" else "、").join(items)


def local_time(when: dt.datetime, tz: dt.tzinfo, seconds: bool = True) -> str:
    """A moment as the room's clock shows it: 20:05:30 (or 20:05)."""
    return when.astimezone(tz).strftime("%H:%M:%S" if seconds else "%H:%M")


def build_tables(
    review: ShowReview,
    lang: str,
    names: Mapping[str, str] | None = None,
    money: str = "¥",
    tz: dt.tzinfo | None = None,
) -> list[Table]:
    """Every table of the report; `names` maps sku → product name, `money` is the currency sign and
    `tz` the room's time zone (default Asia/Shanghai) clock times are written in."""
    names = names or {}
    tz = tz or ZoneInfo(DEFAULT_TIMEZONE)
    show = Table(
        "show",
        t(lang, "review.table.show"),
        (Column("kpi", t(lang, "review.col.kpi")), Column("value", t(lang, "review.col.value"))),
        tuple((t(lang, f"review.kpi.{key}"), kpi_value(review.show, key)) for key, _ in KPI_ROWS),
        row_units=tuple(unit for _, unit in KPI_ROWS),
        money=money,
    )
    seg_columns = (
        Column("segment", t(lang, "review.col.segment")),
        Column("segment_id", t(lang, "review.col.segment_id")),
        Column("kind", t(lang, "review.col.kind")),
        Column("start", t(lang, "review.col.time"), "clock"),
        Column("local_start", t(lang, "review.col.local_time")),
        Column("product", t(lang, "review.col.product")),
        *(Column(key, t(lang, f"review.kpi.{key}"), _UNITS[key]) for key in SEGMENT_KPIS),
    )
    segments = Table(
        "segments",
        t(lang, "review.table.segments"),
        seg_columns,
        tuple(
            (
                s.window.title or s.window.id,
                s.window.id,
                s.window.kind,
                (s.window.start - review.start).total_seconds(),
                local_time(s.window.start, tz),
                names.get(s.product, s.product) if s.product else "",
                *(kpi_value(s.kpis, key) for key in SEGMENT_KPIS),
            )
            for s in review.segments
        ),
        money=money,
    )
    products = Table(
        "products",
        t(lang, "review.table.products"),
        (
            Column("sku", t(lang, "review.col.sku")),
            Column("name", t(lang, "review.col.product")),
            Column("pinned_seconds", t(lang, "review.col.pinned"), "seconds"),
            Column("exposed", t(lang, "review.col.exposed")),
            Column("clickers", t(lang, "review.col.clickers")),
            Column("ctr", t(lang, "review.kpi.ctr"), "rate"),
            Column("buyers", t(lang, "review.col.buyers")),
            Column("conversion", t(lang, "review.kpi.conversion"), "rate"),
            Column("buyer_rate", t(lang, "review.kpi.buyer_rate"), "rate"),
            Column("orders", t(lang, "review.kpi.orders")),
            Column("units", t(lang, "review.kpi.units")),
            Column("gmv", t(lang, "review.kpi.gmv"), "money"),
            Column("gmv_per_viewer", t(lang, "review.kpi.gmv_per_viewer"), "money"),
        ),
        tuple(
            (
                p.sku,
                names.get(p.sku, ""),
                p.pinned_seconds,
                p.exposed,
                p.clickers,
                p.ctr,
                p.buyers,
                p.conversion,
                p.buyer_rate,
                p.orders,
                p.units,
                p.gmv,
                p.gmv_per_viewer,
            )
            for p in review.products
        ),
        money=money,
    )
    yes, no = t(lang, "review.yes"), t(lang, "review.no")
    coupons = Table(
        "coupons",
        t(lang, "review.table.coupons"),
        tuple(
            Column(k, t(lang, f"review.col.{k}"))
            for k in ("coupon", "pushed", "claimed", "refused", "used", "sold_out")
        ),
        tuple(
            (c.title or c.coupon_id, c.pushed, c.claimed, c.refused, c.used, yes if c.sold_out else no)
            for c in review.coupons
        ),
    )
    lotteries = Table(
        "lotteries",
        t(lang, "review.table.lotteries"),
        tuple(
            Column(k, t(lang, f"review.col.{k}"))
            for k in ("lottery", "prize", "entries", "entrants", "eligible", "promised", "winners", "note")
        ),
        tuple(
            (
                x.lottery_id,
                x.prize,
                x.entries,
                x.entrants,
                x.eligible,
                x.promised or None,
                x.winners,
                lottery_note(x, lang),
            )
            for x in review.lotteries
        ),
    )
    votes = Table(
        "votes",
        t(lang, "review.table.votes"),
        (
            Column("vote", t(lang, "review.col.vote")),
            Column("question", t(lang, "review.col.question")),
            Column("turnout", t(lang, "review.kpi.vote_turnout"), "rate"),
            Column("winner", t(lang, "review.col.winner")),
            Column("tallies", t(lang, "review.col.tallies")),
        ),
        tuple(
            (
                v.vote_id,
                v.question,
                v.turnout,
                names.get(v.winner, v.winner) if v.winner else "",
                " · ".join(f"{names.get(option, option)} {n}" for option, n in v.tallies),
            )
            for v in review.votes
        ),
    )
    tables = [show, segments, products, coupons, lotteries, votes]
    if review.refused:  # only when the room refused something
        tables.append(
            Table(
                "refused",
                t(lang, "review.table.refused"),
                (Column("what", t(lang, "review.col.what")), Column("count", t(lang, "review.col.count"))),
                tuple((t(lang, f"review.refused.{what}"), n) for what, n in review.refused),
            )
        )
    return tables


def lottery_note(lottery: LotteryKpis, lang: str) -> str:
    """Why a 福袋 drew fewer winners than it promised, in words ("" when it drew them all)."""
    if not lottery.short:
        return ""
    return t(
        lang,
        "review.lottery.short",
        promised=lottery.promised,
        eligible=lottery.eligible,
        entrants=lottery.entrants,
        winners=lottery.winners,
    )


def format_clock(seconds: float) -> str:
    """Seconds from the start as m:ss or h:mm:ss (-m:ss before it)."""
    if seconds < 0:
        return "-" + format_clock(-seconds)
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def format_cell(value: Cell, unit: str = "", money: str = "¥") -> str:
    """A cell as people read it: rates as percentages with their parts, amounts with the currency sign
    (`money`) and two decimals."""
    if value is None:
        return "—"
    if isinstance(value, Ratio):
        if unit == "seconds":
            return format_seconds(value.value)
        if unit == "money":
            return format_money(value.money(), money)
        return f"{value.value * 100:.1f}% ({_num(value.numerator)}/{value.denominator})"
    if isinstance(value, Decimal):
        return format_money(value, money) if unit == "money" else f"{value:.2f}"
    if unit == "clock" and isinstance(value, int | float):
        return format_clock(value)
    if unit == "seconds" and isinstance(value, int | float):
        return format_seconds(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _num(value: int | float | Decimal) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
