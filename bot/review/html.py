"""The review report as one self-contained HTML page: headline numbers, inline SVG charts, every table."""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from pathlib import Path

from bot.review.charts import all_charts
from bot.review.conclusions import Conclusions, basis
from bot.review.export import RunInfo
from bot.review.gaps import faq_gaps, gap_rows
from bot.review.kpi import ShowReview
from bot.review.recordings import recordings_table
from bot.review.tables import format_cell, format_clock, format_money, format_seconds
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.html",
    {
        "review.html.title": {"zh-CN": "复盘报告：{title}", "en": "Show review: {title}"},
        "review.html.run": {
            "zh-CN": "场次 {run}　开播 {start}　时长 {length}　倍速 {speed}×",
            "en": "run {run}   started {start}   length {length}   speed {speed}×",
        },
        "review.html.charts": {"zh-CN": "图表", "en": "Charts"},
        "review.html.tables": {"zh-CN": "数据表", "en": "Tables"},
        "review.html.empty": {"zh-CN": "（无）", "en": "(none)"},
        "review.html.formulas": {
            "zh-CN": "口径见 docs/metrics.md：比率保留分子/分母，分母为 0 时记 0。",
            "en": "Definitions in docs/metrics.md: rates keep numerator/denominator; 0 when the denominator is 0.",
        },
    },
)

_CSS = """
*{box-sizing:border-box}body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",
"Microsoft YaHei",sans-serif;margin:0 auto;padding:16px;color:#1f2328;background:#fff;line-height:1.5;max-width:1040px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;border-bottom:2px solid #ff4d4f;padding-bottom:4px;margin-top:1.4em}
.muted{color:#656d76}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 10px}.card b{display:block;font-size:1.35em;
font-variant-numeric:tabular-nums}.card span{color:#656d76;font-size:.85em}
figure.chart{margin:12px 0;border:1px solid #eaeef2;border-radius:8px;padding:6px;overflow-x:auto}
figure.chart svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:.88em}th,td{border:1px solid #d0d7de;
padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap}th{background:#f6f8fa}td.n{text-align:right;
font-variant-numeric:tabular-nums}.scroll{overflow-x:auto}
.findings{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:10px;margin:10px 0}
.finding{border:1px solid #d0d7de;border-radius:8px;padding:6px 12px}.finding h3{margin:.3em 0;font-size:1em}
.finding ul{margin:.2em 0;padding-left:1.2em}.finding li{margin:.25em 0}
.finding.good{border-top:4px solid #52c41a}.finding.problems{border-top:4px solid #ff4d4f}
.finding.next{border-top:4px solid #1677ff}
img.thumb{display:block;width:160px;height:auto;border-radius:4px;margin-bottom:2px}
@media print{body{max-width:none}h2{page-break-after:avoid}figure.chart{page-break-inside:avoid}}
"""


def _recordings(review: ShowReview, info: RunInfo, lang: str) -> str:
    """The recordings table, each file a link (file://) to play it as the replay (回放)."""
    table = recordings_table(info.recordings, review.start, lang)
    head = "".join(f"<th>{escape(c.label)}</th>" for c in table.columns)
    rows = []
    for recording, texts in zip(info.recordings, table.formatted(), strict=True):
        cells = [f"<td class=n>{escape(text)}</td>" for text in texts[:3]]
        file = recording.file()
        cells.append(
            f'<td><a href="{escape(file.as_uri())}">{escape(file.name)}</a></td>'
            if file is not None
            else f"<td>{escape(texts[3])}</td>"
        )
        cells.append(f"<td>{escape(texts[4])}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<h2 id="recordings">{escape(table.title)}</h2>'
        f'<div class="scroll"><table data-table="recordings"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="muted">{escape(t(lang, "review.recording.clip_hint"))}</p>'
    )


def _highlights(review: ShowReview, info: RunInfo, lang: str) -> str:
    """The run's highlights with what happened during each, its clip and thumbnail when cut."""
    found = info.highlights(review, lang)
    if not found:
        return ""
    clips = info.clips()
    heads = [
        t(lang, "review.highlight.col.moment"),
        t(lang, "review.highlight.col.at"),
        t(lang, "review.highlight.col.local"),
        t(lang, "review.highlight.col.length"),
        t(lang, "review.kpi.orders"),
        t(lang, "review.kpi.gmv"),
        t(lang, "review.kpi.clicks"),
        t(lang, "review.highlight.col.clip"),
    ]
    rows = []
    for h in found:
        clip = clips.get(h.slug, {})
        start = float(clip.get("start", h.start))
        end = float(clip.get("end", h.end))
        moment = info.local(review.start + dt.timedelta(seconds=start))
        file, picture = clip.get("file"), clip.get("thumbnail")
        if isinstance(file, Path):
            image = (
                f'<img class="thumb" alt="" src="data:image/jpeg;base64,'
                f'{base64.b64encode(picture.read_bytes()).decode()}">'
                if isinstance(picture, Path)
                else ""
            )
            cell = f'<a href="{escape(file.as_uri())}">{image}{escape(file.name)}</a>'
        else:
            cell = escape(t(lang, "review.highlight.not_cut", show=info.show_id, run=info.run_id))
        rows.append(
            f'<tr data-highlight="{escape(h.slug)}"><td>{escape(h.title)}</td>'
            f"<td class=n>{escape(format_clock(start))}</td><td class=n>{moment:%H:%M:%S}</td>"
            f"<td class=n>{escape(format_seconds(end - start))}</td><td class=n>{h.orders}</td>"
            f"<td class=n>{escape(format_money(h.gmv, info.money))}</td><td class=n>{h.clicks}</td>"
            f"<td>{cell}</td></tr>"
        )
    head = "".join(f"<th>{escape(x)}</th>" for x in heads)
    return (
        f'<h2 id="highlights">{escape(t(lang, "review.highlight.table"))}</h2>'
        f'<div class="scroll"><table data-table="highlights"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="muted">{escape(t(lang, "review.highlight.hint"))}</p>'
    )


def _gaps(review: ShowReview, lang: str) -> str:
    """What the FAQ did not cover, grouped by meaning, each with the entry that would cover it."""
    groups = faq_gaps(review.queued)
    title = f'<h2 id="faq-gaps">{escape(t(lang, "review.gaps.title"))}</h2>'
    if not groups:
        return title + f'<p class="muted">{escape(t(lang, "review.gaps.none"))}</p>'
    keys = ("count", "example", "also", "answer", "outcome")
    head = "".join(f"<th>{escape(t(lang, f'review.gaps.col.{k}'))}</th>" for k in keys)
    body = "".join(
        "<tr data-gap>"
        + "".join(f"<td{' class=n' if i == 0 else ''}>{escape(cell)}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in gap_rows(groups, lang)
    )
    summary = t(lang, "review.gaps.summary", questions=sum(g.count for g in groups), groups=len(groups))
    return (
        f'{title}<p class="muted">{escape(summary)}</p><div class="scroll"><table data-table="faq-gaps">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _conclusions(conclusions: Conclusions, lang: str) -> str:
    """复盘结论 at the top: what to keep, what went wrong, what to change."""
    columns = []
    for key, findings in (
        ("good", conclusions.good),
        ("problems", conclusions.problems),
        ("next", conclusions.next),
    ):
        items = "".join(f'<li data-about="{escape(f.about)}">{escape(f.text)}</li>' for f in findings)
        if not items:
            items = f'<li class="muted">{escape(t(lang, "review.conclude.none"))}</li>'
        columns.append(
            f'<section class="finding {key}" data-conclusions="{key}">'
            f"<h3>{escape(t(lang, f'review.conclude.{key}'))}</h3><ul>{items}</ul></section>"
        )
    return (
        f'<h2 id="conclusions">{escape(t(lang, "review.conclude.title"))}</h2>'
        f'<div class="findings">{"".join(columns)}</div>'
        f'<p class="muted">{escape(basis(conclusions, lang))}</p>'
    )


def render_html(review: ShowReview, info: RunInfo, lang: str = "zh-CN") -> str:
    """The whole page; nothing in it is fetched from elsewhere."""
    show = review.show
    title = t(lang, "review.html.title", title=info.title or info.show_id)
    run = t(
        lang,
        "review.html.run",
        run=info.run_id if info.run_id is not None else "—",
        start=f"{info.local(review.start):%Y-%m-%d %H:%M:%S} ({info.timezone})",
        length=format_clock(review.seconds),
        speed=f"{info.speed:g}",
    )
    cards = [
        ("review.kpi.unique_viewers", str(show.unique_viewers)),
        ("review.kpi.peak_concurrent", f"{show.peak_concurrent} @ {format_clock(show.peak_at)}"),
        ("review.kpi.avg_watch_seconds", format_seconds(show.avg_watch_seconds)),
        ("review.kpi.ctr", format_cell(show.ctr)),
        ("review.kpi.conversion", format_cell(show.conversion)),
        ("review.kpi.orders", str(show.orders)),
        ("review.kpi.gmv", format_money(show.gmv, info.money)),
        ("review.kpi.gmv_per_viewer", format_money(show.gmv_per_viewer.money(), info.money)),
        ("review.kpi.interaction_rate", format_cell(show.interaction)),
    ]
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">{escape(run)}</p>',
        _conclusions(info.conclusions(review, lang), lang),
        '<div class="cards">'
        + "".join(
            f"<div class='card'><b>{escape(v)}</b><span>{escape(t(lang, k))}</span></div>" for k, v in cards
        )
        + "</div>",
        f"<h2>{escape(t(lang, 'review.html.charts'))}</h2>",
    ]
    for name, svg in all_charts(review, lang, info.product_names).items():
        parts.append(f'<figure class="chart" data-chart="{name}">{svg}</figure>')
    parts.append(_highlights(review, info, lang))
    parts.append(_gaps(review, lang))
    parts.append(f"<h2>{escape(t(lang, 'review.html.tables'))}</h2>")
    for table in info.tables(review, lang):
        parts.append(f'<h3 id="table-{table.name}">{escape(table.title)}</h3>')
        if not table.rows:
            parts.append(f'<p class="muted">{escape(t(lang, "review.html.empty"))}</p>')
            continue
        head = "".join(f"<th>{escape(c.label)}</th>" for c in table.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td{' class=n' if not isinstance(cell, str) else ''}>{escape(text)}</td>"
                for cell, text in zip(row, texts, strict=True)
            )
            + "</tr>"
            for row, texts in zip(table.rows, table.formatted(), strict=True)
        )
        parts.append(
            f'<div class="scroll"><table data-table="{table.name}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
    if info.recordings:
        parts.append(_recordings(review, info, lang))
    parts.append(f'<p class="muted">{escape(t(lang, "review.html.formulas"))}</p>')
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )
