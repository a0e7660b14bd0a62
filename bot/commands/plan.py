"""`liveroom plan [--week 2026-W48] [--html FILE]`: the week's shows and their conflicts."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from html import escape
from pathlib import Path

from bot.plan.html import page, table
from bot.plan.week import WeekPlan, iso_week, plan_week, week_bounds
from bot.rules import RuleErrors, load_rulebook
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "plan.cmd",
    {
        "plan.cmd.title": {
            "zh-CN": "周计划 {week}（{monday} – {sunday}）",
            "en": "Week plan {week} ({monday} – {sunday})",
        },
        "plan.cmd.no_shows": {"zh-CN": "这一周没有安排直播。", "en": "No shows this week."},
        "plan.cmd.clean": {"zh-CN": "✔ 没有发现冲突。", "en": "✔ No conflicts."},
        "plan.cmd.conflicts": {"zh-CN": "⚠ 发现 {count} 个冲突：", "en": "⚠ {count} conflict(s):"},
        "plan.cmd.bad_week": {
            "zh-CN": "周的格式应为 2026-W48，得到“{value}”",
            "en": "a week looks like 2026-W48, got '{value}'",
        },
        "plan.cmd.col.product": {"zh-CN": "商品", "en": "Product"},
        "plan.cmd.col.price": {"zh-CN": "直播价", "en": "Live price"},
        "plan.cmd.col.stock": {"zh-CN": "库存", "en": "Stock"},
        "plan.cmd.col.planned": {"zh-CN": "计划销量", "en": "Planned"},
        "plan.cmd.coupons": {"zh-CN": "优惠券", "en": "Coupons"},
        "plan.cmd.lotteries": {
            "zh-CN": "抽奖（奖品预算 {budget} 元）",
            "en": "Lotteries (prize budget {budget} CNY)",
        },
        "plan.cmd.unlimited": {"zh-CN": "不限量", "en": "unlimited"},
        "plan.cmd.theme": {"zh-CN": "主题", "en": "Theme"},
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("plan", help="周计划与冲突检查 / the week's shows and their conflicts")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--week", default=None, help="ISO week such as 2026-W48 (default: this week)")
    parser.add_argument("--html", default=None, metavar="FILE", help="also write a printable HTML page")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir

    lang = args.lang or "zh-CN"
    week = args.week or iso_week(dt.date.today())
    try:
        week_bounds(week)
    except ValueError:
        print(t(lang, "plan.cmd.bad_week", value=week), file=sys.stderr)
        return 2
    try:
        rulebook = load_rulebook(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render(lang):
            print(line, file=sys.stderr)
        return 1
    lang = args.lang or rulebook.room.language
    plan = plan_week(rulebook, week)
    print(render_text(plan, lang))
    if args.html:
        Path(args.html).write_text(render_html(plan, lang), encoding="utf-8")
    return 1 if plan.conflicts else 0


_WEEKDAYS = {"zh-CN": "一二三四五六日", "en": ""}


def when(start: dt.datetime, end: dt.datetime, lang: str) -> str:
    """`11-28 周六 20:00–21:00` (or `11-28 Sat …` in English)."""
    day = f"周{_WEEKDAYS['zh-CN'][start.weekday()]}" if lang != "en" else f"{start:%a}"
    return f"{start:%m-%d} {day} {start:%H:%M}–{end:%H:%M}"


def _money(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def render_text(plan: WeekPlan, lang: str) -> str:
    lines = [t(lang, "plan.cmd.title", week=plan.week, monday=plan.monday, sunday=plan.sunday), ""]
    if not plan.shows:
        lines.append(t(lang, "plan.cmd.no_shows"))
    for show in plan.shows:
        lines.append(f"■ {when(show.starts_at, show.ends_at, lang)}  {show.title}  [{show.id}]")
        if show.theme:
            lines.append(f"  {t(lang, 'plan.cmd.theme')}: {show.theme}")
        for p in show.products:
            stock = "-" if p.stock is None else str(p.stock)
            lines.append(
                f"  · {p.name} ({p.sku})  ¥{_money(p.price)}  库存/stock {stock}  计划/planned {p.planned_units}"
            )
        for coupon_id, title, quantity in show.coupons:
            qty = t(lang, "plan.cmd.unlimited") if quantity is None else str(quantity)
            lines.append(f"  ◇ {title} ({coupon_id}) × {qty}")
        for lottery in show.lotteries:
            value = "-" if lottery.prize_value is None else f"¥{_money(lottery.prize_value)}"
            lines.append(f"  ★ {lottery.prize} × {lottery.winners} ({value})")
        lines.append("")
    if plan.conflicts:
        lines.append(t(lang, "plan.cmd.conflicts", count=len(plan.conflicts)))
        lines.extend(f"  - {t(lang, 'plan.' + c.kind, **c.params)}" for c in plan.conflicts)
    else:
        lines.append(t(lang, "plan.cmd.clean"))
    return "\n".join(lines)


def render_html(plan: WeekPlan, lang: str) -> str:
    title = t(lang, "plan.cmd.title", week=plan.week, monday=plan.monday, sunday=plan.sunday)
    parts = [f"<h1>{escape(title)}</h1>"]
    if plan.conflicts:
        parts.append(f"<p><b>{escape(t(lang, 'plan.cmd.conflicts', count=len(plan.conflicts)))}</b></p>")
        parts.extend(
            f'<div class="warn">{escape(t(lang, "plan." + c.kind, **c.params))}</div>' for c in plan.conflicts
        )
    else:
        parts.append(f'<div class="ok">{escape(t(lang, "plan.cmd.clean"))}</div>')
    if not plan.shows:
        parts.append(f"<p>{escape(t(lang, 'plan.cmd.no_shows'))}</p>")
    for show in plan.shows:
        parts.append(
            f"<h2>{escape(f'{show.starts_at:%m-%d %a %H:%M}–{show.ends_at:%H:%M}')} {escape(show.title)}</h2>"
        )
        if show.theme:
            parts.append(f'<p class="muted">{escape(t(lang, "plan.cmd.theme"))}: {escape(show.theme)}</p>')
        rows = [
            [
                f"{p.name} ({p.sku})",
                f"¥{_money(p.price)}",
                "-" if p.stock is None else str(p.stock),
                str(p.planned_units),
            ]
            for p in show.products
        ]
        headers = [t(lang, f"plan.cmd.col.{k}") for k in ("product", "price", "stock", "planned")]
        parts.append(table(headers, rows))
        if show.coupons:
            parts.append(f"<h3>{escape(t(lang, 'plan.cmd.coupons'))}</h3><ul>")
            for coupon_id, ctitle, quantity in show.coupons:
                qty = t(lang, "plan.cmd.unlimited") if quantity is None else str(quantity)
                parts.append(f"<li>{escape(ctitle)} ({escape(coupon_id)}) × {escape(qty)}</li>")
            parts.append("</ul>")
        if show.lotteries:
            parts.append(
                f"<h3>{escape(t(lang, 'plan.cmd.lotteries', budget=_money(show.lottery_budget)))}</h3><ul>"
            )
            for lottery in show.lotteries:
                value = "" if lottery.prize_value is None else f" ¥{_money(lottery.prize_value)}"
                parts.append(f"<li>{escape(lottery.prize)} × {lottery.winners}{escape(value)}</li>")
            parts.append("</ul>")
    return page(title, "".join(parts), lang)
