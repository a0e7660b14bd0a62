"""Pure: the shows of one ISO week and the conflicts a planner must fix before they go live."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bot.rules.models import Rulebook, ShowScript, WinnerOf
from media.i18n import CATALOGUE

LOTTERY_PRIZE_CAP = 50_000.0  # 规范促销行为暂行规定: the top prize of a draw may not exceed 50,000 CNY

CATALOGUE.add(
    "plan",
    {
        "plan.price_conflict": {
            "zh-CN": "价格冲突：{name}（{sku}）本周在不同场次承诺了不同价格：{prices}",
            "en": "price conflict: {name} ({sku}) is promised at different prices this week: {prices}",
        },
        "plan.stock_short": {
            "zh-CN": "库存不足：{name}（{sku}）本周计划卖 {planned} 件，库存只有 {stock} 件",
            "en": "stock too low: {name} ({sku}) — the week plans to sell {planned}, stock is {stock}",
        },
        "plan.overlap": {
            "zh-CN": "场次重叠：{first}（{first_time}）与 {second}（{second_time}）在同一直播间时间重叠",
            "en": "overlapping shows: {first} ({first_time}) and {second} ({second_time}) overlap in one room",
        },
        "plan.lottery_budget": {
            "zh-CN": "抽奖预算超限：{show} 的奖品总值 {budget} 元，超过单场 50,000 元上限",
            "en": "lottery budget too high: {show}'s prizes total {budget} CNY, above the 50,000 CNY cap",
        },
        "plan.faq_gap": {
            "zh-CN": "FAQ 缺失：{show} 要讲的 {name}（{sku}）没有任何 FAQ 条目，观众提问机器人只能转人工",
            "en": "no FAQ: {show} features {name} ({sku}) but no FAQ entry covers it",
        },
    },
)

_COUPON_PLACEHOLDER = re.compile(r"\{coupon:([^}]*)\}")


def week_bounds(week: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week written `2026-W48`."""
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", week.strip(), re.IGNORECASE)
    if not match:
        raise ValueError(week)
    year, number = int(match.group(1)), int(match.group(2))
    monday = dt.date.fromisocalendar(year, number, 1)
    return monday, monday + dt.timedelta(days=6)


def iso_week(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class PlannedProduct:
    sku: str
    name: str
    stock: int | None
    price: float
    planned_units: int


@dataclass(frozen=True)
class PlannedLottery:
    id: str
    prize: str
    winners: int
    prize_value: float | None

    @property
    def budget(self) -> float:
        return (self.prize_value or 0.0) * self.winners


@dataclass(frozen=True)
class PlannedShow:
    id: str
    title: str
    theme: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    products: tuple[PlannedProduct, ...]
    coupons: tuple[tuple[str, str, int | None], ...]  # id, title, quantity
    lotteries: tuple[PlannedLottery, ...]

    @property
    def lottery_budget(self) -> float:
        return sum(lottery.budget for lottery in self.lotteries)


@dataclass(frozen=True)
class Conflict:
    kind: str
    params: dict[str, Any]
    shows: tuple[str, ...]


@dataclass(frozen=True)
class WeekPlan:
    week: str
    monday: dt.date
    sunday: dt.date
    shows: tuple[PlannedShow, ...]
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)


def featured_skus(show: ShowScript) -> list[str]:
    """Every product a show features: segment products, pins, vote options, countdowns, prices, targets."""
    found: list[str] = []

    def add(ref: object) -> None:
        if isinstance(ref, str) and ref not in found:
            found.append(ref)

    for segment in show.segments:
        if segment.product is not None and not isinstance(segment.product, WinnerOf):
            add(segment.product)
        for cue in segment.cues:
            if cue.pin is not None and not isinstance(cue.pin, WinnerOf):
                add(cue.pin)
            if cue.vote is not None:
                for option in cue.vote.options:
                    add(getattr(option, "product", None))
            if cue.countdown is not None:
                add(cue.countdown.product)
    for sku in [*show.prices, *show.targets]:
        add(sku)
    return found


def promised_price(rulebook: Rulebook, show: ShowScript, sku: str) -> float | None:
    if sku in show.prices:
        return show.prices[sku]
    product = rulebook.product(sku)
    return product.selling_price if product is not None else None


def planned_units(show: ShowScript, sku: str) -> int:
    """Units a show plans to sell: its target, else the flash-sale stock it puts up."""
    if sku in show.targets:
        return show.targets[sku]
    return sum(
        cue.countdown.stock or 0
        for segment in show.segments
        for cue in segment.cues
        if cue.countdown is not None and cue.countdown.product == sku
    )


def _coupons(rulebook: Rulebook, show: ShowScript) -> tuple[tuple[str, str, int | None], ...]:
    ids: list[str] = []
    for segment in show.segments:
        for cue in segment.cues:
            refs = [cue.coupon] if cue.coupon else []
            refs += _COUPON_PLACEHOLDER.findall(cue.say or "")
            ids.extend(r for r in refs if r not in ids)
    out = []
    for coupon_id in ids:
        coupon = rulebook.coupon(coupon_id)
        if coupon is not None:
            out.append((coupon.id, coupon.title, coupon.quantity))
    return tuple(out)


def plan_show(rulebook: Rulebook, show_id: str, show: ShowScript) -> PlannedShow:
    products = []
    for sku in featured_skus(show):
        product = rulebook.product(sku)
        if product is None:
            continue
        products.append(
            PlannedProduct(
                sku=sku,
                name=product.name,
                stock=product.stock,
                price=promised_price(rulebook, show, sku) or product.price,
                planned_units=planned_units(show, sku),
            )
        )
    lotteries = tuple(
        PlannedLottery(cue.lottery.id, cue.lottery.prize, cue.lottery.winners, cue.lottery.prize_value)
        for segment in show.segments
        for cue in segment.cues
        if cue.lottery is not None
    )
    return PlannedShow(
        id=show_id,
        title=show.title,
        theme=show.theme,
        starts_at=show.starts_at,
        ends_at=show.starts_at + dt.timedelta(seconds=show.length),
        products=tuple(products),
        coupons=_coupons(rulebook, show),
        lotteries=lotteries,
    )


def plan_week(rulebook: Rulebook, week: str) -> WeekPlan:
    monday, sunday = week_bounds(week)
    shows = sorted(
        (
            plan_show(rulebook, show_id, show)
            for show_id, show in rulebook.shows.items()
            if monday <= show.starts_at.date() <= sunday
        ),
        key=lambda s: s.starts_at,
    )
    return WeekPlan(week, monday, sunday, tuple(shows), tuple(find_conflicts(rulebook, shows)))


def find_conflicts(rulebook: Rulebook, shows: list[PlannedShow]) -> list[Conflict]:
    conflicts: list[Conflict] = []

    # The same product promised at two prices.
    prices: dict[str, dict[float, list[str]]] = defaultdict(lambda: defaultdict(list))
    for show in shows:
        for product in show.products:
            prices[product.sku][product.price].append(show.id)
    for sku, by_price in prices.items():
        if len(by_price) > 1:
            name = rulebook.product(sku).name if rulebook.product(sku) else sku  # type: ignore[union-attr]
            text = "、".join(f"{price:g} 元（{', '.join(ids)}）" for price, ids in sorted(by_price.items()))
            all_ids = tuple(sorted({i for ids in by_price.values() for i in ids}))
            conflicts.append(Conflict("price_conflict", {"sku": sku, "name": name, "prices": text}, all_ids))

    # Stock below what the shows plan to sell.
    planned: dict[str, int] = defaultdict(int)
    for show in shows:
        for product in show.products:
            planned[product.sku] += product.planned_units
    for sku, units in planned.items():
        catalogue_item = rulebook.product(sku)
        if catalogue_item is not None and catalogue_item.stock is not None and units > catalogue_item.stock:
            conflicts.append(
                Conflict(
                    "stock_short",
                    {
                        "sku": sku,
                        "name": catalogue_item.name,
                        "planned": units,
                        "stock": catalogue_item.stock,
                    },
                    tuple(s.id for s in shows if any(p.sku == sku and p.planned_units for p in s.products)),
                )
            )

    # Overlapping shows in one room.
    for i, first in enumerate(shows):
        for second in shows[i + 1 :]:
            if second.starts_at < first.ends_at and first.starts_at < second.ends_at:
                conflicts.append(
                    Conflict(
                        "overlap",
                        {
                            "first": first.id,
                            "second": second.id,
                            "first_time": _span(first),
                            "second_time": _span(second),
                        },
                        (first.id, second.id),
                    )
                )

    # A show's lottery budget above the legal cap.
    for show in shows:
        if show.lottery_budget > LOTTERY_PRIZE_CAP:
            conflicts.append(
                Conflict(
                    "lottery_budget", {"show": show.id, "budget": f"{show.lottery_budget:,.0f}"}, (show.id,)
                )
            )

    # A featured product with no FAQ coverage.
    covered = {entry.product for entry in rulebook.faq}
    for show in shows:
        for product in show.products:
            if product.sku not in covered:
                conflicts.append(
                    Conflict(
                        "faq_gap", {"show": show.id, "sku": product.sku, "name": product.name}, (show.id,)
                    )
                )
    return conflicts


def _span(show: PlannedShow) -> str:
    return f"{show.starts_at:%m-%d %H:%M}–{show.ends_at:%H:%M}"
