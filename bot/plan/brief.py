"""The show brief for the pre-show meeting: timeline, roles, contingency plans, FAQ — one printable page."""

from __future__ import annotations

import datetime as dt
from html import escape

from bot.plan.html import page, table
from bot.plan.preflight import Check
from bot.plan.week import featured_skus, promised_price
from bot.plan.words import describe, describe_plan, human_duration
from bot.rules.durations import format_duration
from bot.rules.models import Product, Rulebook, ShowScript, WinnerOf
from bot.rules.placeholders import fill_for_people
from bot.show.plan import show_product
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "brief",
    {
        "brief.title": {"zh-CN": "直播简报：{title}", "en": "Show brief: {title}"},
        "brief.when": {"zh-CN": "开播 {start}，时长 {length}", "en": "starts {start}, runs {length}"},
        "brief.roles": {"zh-CN": "分工", "en": "Who does what"},
        "brief.role.host": {"zh-CN": "主播", "en": "Host"},
        "brief.role.assistant": {"zh-CN": "助理", "en": "Assistant"},
        "brief.role.operator": {"zh-CN": "运营/中控", "en": "Operator"},
        "brief.role.bot": {"zh-CN": "机器人助理", "en": "Bot"},
        "brief.timeline": {"zh-CN": "流程", "en": "Timeline"},
        "brief.product": {"zh-CN": "主推商品", "en": "Product"},
        "brief.vote_winner": {"zh-CN": "投票“{vote}”的胜出商品", "en": "winner of vote “{vote}”"},
        "brief.talking_points": {"zh-CN": "话术要点", "en": "Talking points"},
        "brief.cues": {"zh-CN": "机器人动作", "en": "Bot cues"},
        "brief.contingency": {"zh-CN": "应急预案", "en": "Contingency plans"},
        "brief.no_contingency": {
            "zh-CN": "未配置应急预案（rules/contingency.yaml）。",
            "en": "No contingency plans.",
        },
        "brief.faq": {"zh-CN": "商品 FAQ", "en": "Product FAQ"},
        "brief.no_faq": {"zh-CN": "⚠ 没有 FAQ 条目", "en": "⚠ no FAQ entries"},
        "brief.checklist": {"zh-CN": "开播前检查", "en": "Pre-show checklist"},
        "brief.col.time": {"zh-CN": "时间", "en": "Time"},
        "brief.col.cue": {"zh-CN": "动作", "en": "Cue"},
        "brief.col.q": {"zh-CN": "观众会问", "en": "Viewers ask"},
        "brief.col.a": {"zh-CN": "答案", "en": "Answer"},
        "brief.unassigned": {"zh-CN": "（未指定）", "en": "(not assigned)"},
    },
)


def _clock(show: ShowScript, offset: float) -> str:
    at = show.starts_at + dt.timedelta(seconds=offset)
    return f"{at:%H:%M:%S}" if at.second else f"{at:%H:%M}"


def _product_text(rulebook: Rulebook, show: ShowScript, ref: object, lang: str) -> str:
    if isinstance(ref, WinnerOf):
        return t(lang, "brief.vote_winner", vote=ref.winner_of)
    if isinstance(ref, str):
        product = rulebook.product(ref)
        if product is None:
            return ref
        price = promised_price(rulebook, show, ref)
        return f"{product.name}（{ref}）¥{price:g}" + (
            f" / 库存 {product.stock}" if product.stock is not None else ""
        )
    return ""


def _segment_product(rulebook: Rulebook, show: ShowScript, ref: object) -> tuple[Product | None, str | None]:
    """The product a segment's texts speak of (priced as this show sells it), or the vote choosing it."""
    if isinstance(ref, WinnerOf):
        return None, ref.winner_of
    return show_product(rulebook, show, ref if isinstance(ref, str) else None), None


def render_brief_html(
    rulebook: Rulebook, show_id: str, checklist: list[Check] | None = None, lang: str | None = None
) -> str:
    lang = lang or rulebook.room.language
    show = rulebook.shows[show_id]
    title = t(lang, "brief.title", title=show.title)
    parts = [f"<h1>{escape(title)}</h1>"]
    when = t(
        lang,
        "brief.when",
        start=f"{show.starts_at:%Y-%m-%d %H:%M %Z}",
        length=human_duration(show.length, lang),
    )
    parts.append(f'<p class="muted">{escape(when)}{" · " + escape(show.theme) if show.theme else ""}</p>')

    roles = [
        [t(lang, f"brief.role.{role}"), getattr(show.roles, role) or t(lang, "brief.unassigned")]
        for role in ("host", "assistant", "operator")
    ]
    roles.append([t(lang, "brief.role.bot"), rulebook.room.bot.name])
    parts.append(f"<h2>{escape(t(lang, 'brief.roles'))}</h2>" + table(None, roles))

    parts.append(f"<h2>{escape(t(lang, 'brief.timeline'))}</h2>")
    starts = show.segment_starts()
    timeline = show.timeline()
    for index, (start, segment) in enumerate(zip(starts, show.segments, strict=True)):
        span = f"{_clock(show, start)}–{_clock(show, start + segment.duration)}"
        offsets = f"{format_duration(start)}–{format_duration(start + segment.duration)}"
        block = [
            f'<div class="seg"><h3><span class="time">{escape(span)}</span> '
            f'<span class="tag">{escape(segment.kind)}</span>{escape(segment.title or segment.id)} '
            f'<span class="muted">[{escape(segment.id)} · {escape(offsets)}]</span></h3>'
        ]
        if segment.product is not None:
            product = _product_text(rulebook, show, segment.product, lang)
            block.append(f"<p><b>{escape(t(lang, 'brief.product'))}</b>：{escape(product)}</p>")
        if segment.talking_points:
            block.append(f"<p><b>{escape(t(lang, 'brief.talking_points'))}</b></p><ul>")
            block.extend(f"<li>{escape(point)}</li>" for point in segment.talking_points)
            block.append("</ul>")
        cues = [c for c in timeline if c.segment_index == index]
        if cues:
            # Cue texts filled with the segment's product, as the runner will fill them on air.
            spoken, winner_of = _segment_product(rulebook, show, segment.product)
            rows = [
                [_clock(show, c.offset), f"{describe(c.cue, rulebook, lang, spoken, winner_of)}  [{c.id}]"]
                for c in cues
            ]
            block.append(table([t(lang, "brief.col.time"), t(lang, "brief.cues")], rows))
        block.append("</div>")
        parts.extend(block)

    parts.append(f"<h2>{escape(t(lang, 'brief.contingency'))}</h2>")
    if rulebook.contingency:
        parts.append("<ul>")
        for plan in rulebook.contingency:
            label = f"<b>{escape(plan.title)}</b>：" if plan.title else ""
            parts.append(f"<li>{label}{escape(describe_plan(plan, rulebook, lang))}</li>")
        parts.append("</ul>")
    else:
        parts.append(f"<p>{escape(t(lang, 'brief.no_contingency'))}</p>")

    parts.append(f"<h2>{escape(t(lang, 'brief.faq'))}</h2>")
    for sku in featured_skus(show):
        item = rulebook.product(sku)
        entries = [e for e in rulebook.faq if e.product == sku]
        parts.append(f"<h3>{escape(item.name if item else sku)}（{escape(sku)}）</h3>")
        if entries:
            rows = [[" / ".join(e.q), fill_for_people(e.a, item, rulebook, lang)] for e in entries]
            parts.append(table([t(lang, "brief.col.q"), t(lang, "brief.col.a")], rows))
        else:
            parts.append(f'<div class="warn">{escape(t(lang, "brief.no_faq"))}</div>')

    if checklist is not None:
        parts.append(f"<h2>{escape(t(lang, 'brief.checklist'))}</h2>")
        for check in checklist:
            css = "warn" if check.ok is False else "ok"
            parts.append(f'<div class="{css}">{escape(check.render(lang))}</div>')
    return page(title, "".join(parts), lang)
