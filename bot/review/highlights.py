"""Highlights (高光切片): the moments of a run worth re-using, found in its numbers. Pure.

- each product's 讲解 window, from its pin to the next pin (a pin of the same product again, right after,
  does not split it);
- the peaks of orders, likes and chat: the stretch of `PEAK_SCRIPT_SECONDS` of the show's clock (at most a
  quarter of the run) with the most of them, when it holds at least a minimum and twice the run's
  average for a stretch that long.

Times are seconds from the run's start (the show clock of the report); each highlight carries what
happened during it (orders, GMV, clicks, likes, chat), which the report shows beside its clip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.review.results import Moments, ShowReview
from bot.review.tables import format_money
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.highlight",
    {
        "review.highlight.explain": {"zh-CN": "讲解：{product}", "en": "Explaining {product}"},
        "review.highlight.orders": {
            "zh-CN": "订单高峰：{count} 单 {gmv}{product}",
            "en": "Order peak: {count} orders, {gmv}{product}",
        },
        "review.highlight.likes": {
            "zh-CN": "点赞高峰：{count} 个赞{product}",
            "en": "Like peak: {count} likes{product}",
        },
        "review.highlight.chat": {
            "zh-CN": "弹幕高峰：{count} 条评论{product}",
            "en": "Chat peak: {count} messages{product}",
        },
        "review.highlight.during": {"zh-CN": "（讲解 {product} 时）", "en": " (while {product} was on)"},
        "review.highlight.table": {"zh-CN": "高光切片", "en": "Highlights"},
        "review.highlight.col.moment": {"zh-CN": "片段", "en": "Moment"},
        "review.highlight.col.at": {"zh-CN": "开播后", "en": "Since start"},
        "review.highlight.col.local": {"zh-CN": "时刻", "en": "Clock"},
        "review.highlight.col.length": {"zh-CN": "时长", "en": "Length"},
        "review.highlight.col.clip": {"zh-CN": "切片", "en": "Clip"},
        "review.highlight.not_cut": {
            "zh-CN": "还没切：liveroom highlights {show} --run {run}",
            "en": "not cut yet: liveroom highlights {show} --run {run}",
        },
        "review.highlight.hint": {
            "zh-CN": "每段的订单、成交额、点击都是切片这段时间里的；切片直接从录像复制（不重新编码）。",
            "en": "Orders, GMV and clicks are those during each clip; clips are copied from the recording "
            "(no re-encode).",
        },
    },
)

EXPLAIN_MIN_SECONDS = 5.0  # a pin shorter than this (wall seconds) is a slip, not an explanation
PEAK_SCRIPT_SECONDS = 60.0  # a peak is the busiest minute of the show's clock (10 s of a 6× rehearsal)
PEAK_MIN_SECONDS = 5.0
PEAK_FACTOR = 2.0  # at least twice the run's average for a stretch that long
PEAK_MINIMUM = {"orders": 2, "likes": 20, "chat": 5}
KINDS = ("explain", "orders", "likes", "chat")


@dataclass(frozen=True)
class Highlight:
    number: int  # in time order, from 1
    kind: str  # explain | orders | likes | chat
    title: str
    start: float  # seconds from the run's start
    end: float
    sku: str | None  # the product on screen (the one explained, or pinned when the peak began)
    orders: int
    gmv: Decimal
    clicks: int
    likes: int
    chat: int

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def slug(self) -> str:
        """The clip's file name without its suffix: `01-explain-PAN-01`, `02-orders`."""
        tail = f"-{self.sku}" if self.kind == "explain" and self.sku else ""
        return f"{self.number:02d}-{self.kind}{tail}"


def explain_windows(
    moments: Moments, min_seconds: float = EXPLAIN_MIN_SECONDS
) -> list[tuple[float, float, str]]:
    """Each product's 讲解 window: its pins, with back-to-back pins of the same product joined."""
    merged: list[tuple[float, float, str]] = []
    for a, b, sku in sorted(moments.pins):
        if merged and merged[-1][2] == sku and a <= merged[-1][1] + 0.5:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]), sku)
        else:
            merged.append((a, b, sku))
    return [w for w in merged if w[1] - w[0] >= min_seconds]


def peak(bins: Mapping[int, int], width: float, length: float) -> tuple[float, float, int] | None:
    """The `width`-second stretch holding the most; None when the run has nothing to count."""
    if not bins:
        return None
    seconds = sorted(bins)
    best: tuple[float, float, int] | None = None
    j = 0
    total = 0
    for i, start in enumerate(seconds):  # windows that start where something happened
        while j < len(seconds) and seconds[j] < start + width:
            total += bins[seconds[j]]
            j += 1
        if best is None or total > best[2]:
            best = (float(start), min(start + width, length), total)
        total -= bins[seconds[i]]
    return best


def find_highlights(
    review: ShowReview, lang: str = "zh-CN", names: Mapping[str, str] | None = None, money: str = "¥"
) -> list[Highlight]:
    """The run's highlights in time order."""
    names = names or {}
    moments = review.moments
    length = review.seconds
    found: list[tuple[str, float, float, str | None]] = []

    def product(sku: str) -> str:
        name = names.get(sku)
        if not name:
            return sku
        return f"{name}（{sku}）" if lang != "en" else f"{name} ({sku})"

    for a, b, pinned in explain_windows(moments):
        found.append(("explain", a, b, pinned))
    # A minute of the show's clock, and never more than a quarter of the run (a peak stands out of it).
    width = max(PEAK_MIN_SECONDS, min(PEAK_SCRIPT_SECONDS / (review.speed or 1.0), length / 4))
    for series in ("orders", "likes", "chat"):
        bins: dict[int, int] = getattr(moments, series)
        best = peak(bins, width, length)
        if best is None:
            continue
        start, end, count = best
        average = sum(bins.values()) * width / length if length > 0 else 0.0
        if count < PEAK_MINIMUM[series] or count < PEAK_FACTOR * average:
            continue
        lead = width / 2  # a little before, so the clip shows what set it off
        found.append((series, max(0.0, start - lead), min(length, end + lead), _pinned(moments, start)))
    found.sort(key=lambda item: (item[1], KINDS.index(item[0])))
    out: list[Highlight] = []
    for number, (kind, a, b, sku) in enumerate(found, start=1):
        gmv = moments.amount(a, b)
        on = t(lang, "review.highlight.during", product=product(sku)) if sku else ""
        if kind == "explain":
            title = t(lang, "review.highlight.explain", product=product(sku or ""))
        elif kind == "orders":
            count = moments.count("orders", a, b)
            title = t(lang, "review.highlight.orders", count=count, gmv=format_money(gmv, money), product=on)
        else:  # what the clip itself holds, which is what its viewers will see
            title = t(lang, f"review.highlight.{kind}", count=moments.count(kind, a, b), product=on)
        out.append(
            Highlight(
                number,
                kind,
                title,
                a,
                b,
                sku,
                moments.count("orders", a, b),
                gmv,
                moments.count("clicks", a, b),
                moments.count("likes", a, b),
                moments.count("chat", a, b),
            )
        )
    return out


def _pinned(moments: Moments, at: float) -> str | None:
    for a, b, sku in moments.pins:
        if a <= at < b:
            return sku
    return None
