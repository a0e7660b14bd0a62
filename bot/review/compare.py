"""Show-to-show comparison (对比复盘): KPIs side by side with deltas against the first show, per segment
kind (pooled) and per product, and highlights in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.review.kpi import Kpis, ProductKpis, ShowReview
from bot.review.records import Ratio
from bot.review.tables import Cell, format_cell, join_words, kpi_value
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.cmp",
    {
        "review.cmp.gain": {
            "zh-CN": "↑ {label} 的{kpi}比 {base} 高：{a} → {b}（{delta}）",
            "en": "↑ {label}: {kpi} up on {base}: {a} → {b} ({delta})",
        },
        "review.cmp.loss": {
            "zh-CN": "↓ {label} 的{kpi}比 {base} 低：{a} → {b}（{delta}）",
            "en": "↓ {label}: {kpi} down on {base}: {a} → {b} ({delta})",
        },
        "review.cmp.kind_ctr": {
            "zh-CN": "◆ 「{kind}」环节的点击率差别最大：{base} {a}，{label} {b}（{delta}）",
            "en": "◆ '{kind}' segments differ most in click-through: {base} {a}, {label} {b} ({delta})",
        },
        "review.cmp.kind_retention": {
            "zh-CN": "◆ 「{kind}」环节的留存率差别最大：{base} {a}，{label} {b}（{delta}）",
            "en": "◆ '{kind}' segments differ most in retention: {base} {a}, {label} {b} ({delta})",
        },
        "review.cmp.kind_only": {
            "zh-CN": "◆ 只有 {label} 有「{kind}」环节：点击率 {ctr}，留存率 {retention}",
            "en": "◆ only {label} has '{kind}' segments: click-through {ctr}, retention {retention}",
        },
        "review.cmp.product": {
            "zh-CN": "◆ 商品 {sku} 点击率变化最大：{base} {a}，{label} {b}（{delta}）",
            "en": "◆ product {sku} changed most in click-through: {base} {a}, {label} {b} ({delta})",
        },
        "review.cmp.same": {
            "zh-CN": "{label} 与 {base} 的主要指标没有明显差别（都在 5% 以内）",
            "en": "{label} and {base} show no clear difference (all within 5%)",
        },
        "review.cmp.pp": {"zh-CN": "{sign}{value:.1f} 个百分点", "en": "{sign}{value:.1f} pp"},
        "review.cmp.delta": {"zh-CN": "Δ 对比 {base}", "en": "Δ vs {base}"},
        "review.cmp.table.show": {"zh-CN": "整场对比", "en": "Shows side by side"},
        "review.cmp.table.kinds": {"zh-CN": "按环节类型对比", "en": "By segment kind"},
        "review.cmp.table.products": {"zh-CN": "按商品对比", "en": "By product"},
        "review.cmp.highlights": {"zh-CN": "要点", "en": "Highlights"},
        "review.cmp.segments": {"zh-CN": "环节数", "en": "Segments"},
        "review.cmp.minutes": {"zh-CN": "时长（分）", "en": "Minutes"},
        "review.cmp.speeds": {
            "zh-CN": "⚠ 这几场的倍速不同（{speeds}）：{fast} 是 {x}× 速的彩排/演示，时钟比真实直播快 {x} 倍。"
            "人均观看时长、时长这类按实际时间算的指标不能直接对比（已不列入要点）；比率（点击率、转化率、留存率）可以对比。",
            "en": "⚠ these runs went at different speeds ({speeds}): {fast} is a {x}× rehearsal or demo whose "
            "clock runs {x} times faster than a real show. Time-based KPIs (average watch time, minutes) "
            "cannot be compared directly (left out of the highlights); rates (click-through, conversion, "
            "retention) can.",
        },
    },
)

SHOW_KPIS = (
    ("unique_viewers", ""),
    ("avg_watch_seconds", "seconds"),
    ("peak_concurrent", ""),
    ("retention", "rate"),
    ("ctr", "rate"),
    ("conversion", "rate"),
    ("buyer_rate", "rate"),
    ("orders", ""),
    ("gmv", "money"),
    ("gmv_per_viewer", "money"),
    ("interaction_rate", "rate"),
    ("chat_messages", ""),
    ("likes", ""),
    ("bot_answered", ""),
    ("bot_suggested", ""),
    ("bot_escalated", ""),
    ("coupons_claimed", ""),
    ("lottery_entries", ""),
    ("vote_turnout", "rate"),
)
KIND_KPIS = (
    ("segments", ""),
    ("minutes", ""),
    ("avg_watch_seconds", "seconds"),
    ("retention", "rate"),
    ("ctr", "rate"),
    ("conversion", "rate"),
    ("interaction_rate", "rate"),
    ("orders", ""),
    ("gmv", "money"),
    ("gmv_per_viewer", "money"),
)
PRODUCT_KPIS = (
    ("exposed", ""),
    ("ctr", "rate"),
    ("conversion", "rate"),
    ("orders", ""),
    ("gmv", "money"),
    ("gmv_per_viewer", "money"),
)
NOTABLE = 0.05  # a change smaller than 5% (relative) is not a highlight
NOTABLE_PP = 0.01  # a rate difference smaller than 1 percentage point is not a highlight


@dataclass(frozen=True)
class Row:
    group: str  # "" for the show, the segment kind, or the sku
    key: str
    unit: str
    values: tuple[Cell, ...]  # one per show; None where the show has no such segment kind or product


TIMED = frozenset({"avg_watch_seconds", "minutes"})
"""KPIs measured in wall time, which a rehearsal at speed X shrinks X times."""


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, ...]
    show: tuple[Row, ...]
    kinds: tuple[Row, ...]
    products: tuple[Row, ...]
    highlights: tuple[str, ...]
    speeds: tuple[float, ...] = ()
    warnings: tuple[str, ...] = ()


def row_label(key: str, lang: str) -> str:
    """What a comparison row is, in words: every row key has a name (never the key itself)."""
    if key in ("segments", "minutes"):
        return t(lang, f"review.cmp.{key}")
    if key in PRODUCT_COLUMNS:
        return t(lang, f"review.col.{key}")
    return t(lang, f"review.kpi.{key}")


PRODUCT_COLUMNS = frozenset({"exposed", "clickers", "buyers", "pinned"})


def number(cell: Cell, unit: str) -> float | None:
    """The cell as one number to take differences of (rates as fractions, money in yuan)."""
    if cell is None or isinstance(cell, str):
        return None
    if isinstance(cell, Ratio):
        return float(cell.money()) if unit == "money" else cell.value
    return float(cell)


def format_delta(a: Cell, b: Cell, unit: str, lang: str, money: str = "¥") -> str:
    x, y = number(a, unit), number(b, unit)
    if x is None or y is None:
        return "—"
    diff = y - x
    sign = "+" if diff >= 0 else "−"
    if unit == "rate":
        return t(lang, "review.cmp.pp", sign=sign, value=abs(diff) * 100)
    text = (
        format_cell(Decimal(str(abs(diff))).quantize(Decimal("0.01")), unit, money)
        if unit == "money"
        else None
    )
    if text is None:
        text = format_cell(abs(diff), unit) if unit == "seconds" else f"{abs(diff):g}"
    if x:
        return f"{sign}{text} ({sign}{abs(diff) / abs(x) * 100:.1f}%)"
    return f"{sign}{text}"


def _pool(segments: Sequence[Kpis], seconds: float) -> dict[str, Cell]:
    def ratio(key: str) -> Ratio:
        total = Ratio(0, 0)
        for k in segments:
            cell = kpi_value(k, key)
            assert isinstance(cell, Ratio)
            total = total + cell
        return total

    return {
        "segments": len(segments),
        "minutes": round(seconds / 60, 1),
        "avg_watch_seconds": ratio("avg_watch_seconds"),
        "retention": ratio("retention"),
        "ctr": ratio("ctr"),
        "conversion": ratio("conversion"),
        "interaction_rate": ratio("interaction_rate"),
        "orders": sum(k.orders for k in segments),
        "gmv": sum((k.gmv for k in segments), Decimal("0.00")),
        "gmv_per_viewer": ratio("gmv_per_viewer"),
    }


def by_kind(review: ShowReview) -> dict[str, dict[str, Cell]]:
    """Each segment kind's KPIs, pooled over the show's segments of that kind (in script order)."""
    kinds: dict[str, list[Kpis]] = {}
    seconds: dict[str, float] = {}
    for s in review.segments:
        if s.window.seconds <= 0:
            continue
        kinds.setdefault(s.window.kind, []).append(s.kpis)
        seconds[s.window.kind] = seconds.get(s.window.kind, 0.0) + s.window.seconds
    return {kind: _pool(segments, seconds[kind]) for kind, segments in kinds.items()}


def _product_cell(p: ProductKpis | None, key: str) -> Cell:
    if p is None:
        return None
    cell: Cell = getattr(p, key)
    return cell


def compare(
    labels: Sequence[str], reviews: Sequence[ShowReview], lang: str = "zh-CN", money: str = "¥"
) -> Comparison:
    """The reviews side by side; the first is the baseline every delta and highlight is taken against.
    Runs at different speeds (a rehearsal beside a real show) get a warning, and their wall-time KPIs
    no highlight."""
    if len(labels) != len(reviews) or len(reviews) < 2:
        raise ValueError("compare needs two or more reviews, one label each")
    show_rows = tuple(
        Row("", key, unit, tuple(kpi_value(r.show, key) for r in reviews)) for key, unit in SHOW_KPIS
    )
    kinds_each = [by_kind(r) for r in reviews]
    kind_order = list(dict.fromkeys(kind for kinds in kinds_each for kind in kinds))
    kind_rows = tuple(
        Row(kind, key, unit, tuple(kinds[kind][key] if kind in kinds else None for kinds in kinds_each))
        for kind in kind_order
        for key, unit in KIND_KPIS
    )
    products_each = [{p.sku: p for p in r.products} for r in reviews]
    skus = sorted({sku for products in products_each for sku in products})
    product_rows = tuple(
        Row(sku, key, unit, tuple(_product_cell(products.get(sku), key) for products in products_each))
        for sku in skus
        for key, unit in PRODUCT_KPIS
    )
    speeds = tuple(r.speed for r in reviews)
    mixed = len(set(speeds)) > 1
    warnings: list[str] = []
    if mixed:
        fast = max(range(len(reviews)), key=lambda i: speeds[i])
        warnings.append(
            t(
                lang,
                "review.cmp.speeds",
                speeds=join_words(
                    [f"{label} {speed:g}×" for label, speed in zip(labels, speeds, strict=True)], lang
                ),
                fast=labels[fast],
                x=f"{speeds[fast]:g}",
            )
        )
    highlights: list[str] = []
    for i in range(1, len(reviews)):
        comparable = not mixed or speeds[i] == speeds[0]
        highlights += _highlights(
            labels[0], labels[i], i, show_rows, kind_rows, product_rows, lang, timed=comparable, money=money
        )
    return Comparison(
        tuple(labels), show_rows, kind_rows, product_rows, tuple(highlights), speeds, tuple(warnings)
    )


def _highlights(
    base: str,
    label: str,
    i: int,
    show_rows: Sequence[Row],
    kind_rows: Sequence[Row],
    product_rows: Sequence[Row],
    lang: str,
    *,
    timed: bool = True,
    money: str = "¥",
) -> list[str]:
    """`timed=False`: the two runs went at different speeds, so wall-time KPIs are no highlight."""
    out: list[str] = []
    scored: list[tuple[float, Row]] = []
    for row in show_rows:
        if not timed and row.key in TIMED:
            continue
        x, y = number(row.values[0], row.unit), number(row.values[i], row.unit)
        if x is None or y is None or x == y:
            continue
        change = (y - x) / abs(x) if x else 1.0
        if abs(change) >= NOTABLE and (row.unit != "rate" or abs(y - x) >= NOTABLE_PP):
            scored.append((change, row))
    scored.sort(key=lambda item: item[0], reverse=True)
    # Rates and amounts are ranked apart, so a big swing in orders does not hide a change in click-through.
    gains: list[Row] = []
    losses: list[Row] = []
    for rates in (True, False):
        kept = [(change, row) for change, row in scored if (row.unit == "rate") == rates]
        gains += [row for change, row in kept if change > 0][: 2 if rates else 3]
        losses += [row for change, row in reversed(kept) if change < 0][: 2 if rates else 3]
    for key, picked in (("review.cmp.gain", gains), ("review.cmp.loss", losses)):
        for row in picked:
            out.append(
                t(
                    lang,
                    key,
                    label=label,
                    base=base,
                    kpi=row_label(row.key, lang),
                    a=format_cell(row.values[0], row.unit, money),
                    b=format_cell(row.values[i], row.unit, money),
                    delta=format_delta(row.values[0], row.values[i], row.unit, lang, money),
                )
            )

    kinds: dict[str, dict[str, Row]] = {}
    for row in kind_rows:
        kinds.setdefault(row.group, {})[row.key] = row
    for kind, rows in kinds.items():
        base_has, other_has = rows["ctr"].values[0] is not None, rows["ctr"].values[i] is not None
        if base_has != other_has:
            j = i if other_has else 0
            out.append(
                t(
                    lang,
                    "review.cmp.kind_only",
                    label=label if other_has else base,
                    kind=kind,
                    ctr=format_cell(rows["ctr"].values[j], "rate"),
                    retention=format_cell(rows["retention"].values[j], "rate"),
                )
            )
    for key, message in (("ctr", "review.cmp.kind_ctr"), ("retention", "review.cmp.kind_retention")):
        best: tuple[float, str, Row] | None = None
        for kind, rows in kinds.items():
            x, y = number(rows[key].values[0], "rate"), number(rows[key].values[i], "rate")
            if x is None or y is None:
                continue
            if abs(y - x) >= NOTABLE_PP and (best is None or abs(y - x) > best[0]):
                best = (abs(y - x), kind, rows[key])
        if best is not None:
            _, kind, row = best
            out.append(
                t(
                    lang,
                    message,
                    kind=kind,
                    base=base,
                    label=label,
                    a=format_cell(row.values[0], "rate"),
                    b=format_cell(row.values[i], "rate"),
                    delta=format_delta(row.values[0], row.values[i], "rate", lang),
                )
            )
    best_product: tuple[float, Row] | None = None
    for row in product_rows:
        if row.key != "ctr":
            continue
        x, y = number(row.values[0], "rate"), number(row.values[i], "rate")
        if x is not None and y is not None and abs(y - x) >= NOTABLE_PP:
            if best_product is None or abs(y - x) > best_product[0]:
                best_product = (abs(y - x), row)
    if best_product is not None:
        row = best_product[1]
        out.append(
            t(
                lang,
                "review.cmp.product",
                sku=row.group,
                base=base,
                label=label,
                a=format_cell(row.values[0], "rate"),
                b=format_cell(row.values[i], "rate"),
                delta=format_delta(row.values[0], row.values[i], "rate", lang),
            )
        )
    if not out:
        out.append(t(lang, "review.cmp.same", label=label, base=base))
    return out
