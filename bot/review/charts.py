"""The report's charts drawn by matplotlib (Agg, no pyplot state) as inline SVG text."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

from bot.review.kpi import ShowReview
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.chart",
    {
        "review.chart.concurrency": {
            "zh-CN": "在线人数（环节色带，三角为提示）",
            "en": "Viewers online (segment bands, triangles are cues)",
        },
        "review.chart.minutes": {"zh-CN": "开播后分钟", "en": "minutes since the start"},
        "review.chart.script_minutes": {
            "zh-CN": "开播后分钟（按脚本时钟，{speed}× 速）",
            "en": "minutes since the start (script clock, speed {speed}×)",
        },
        "review.chart.viewers": {"zh-CN": "在线人数", "en": "viewers"},
        "review.chart.activity": {"zh-CN": "每分钟评论与点赞", "en": "Chat and likes per minute"},
        "review.chart.chat": {"zh-CN": "评论", "en": "chat"},
        "review.chart.likes": {"zh-CN": "点赞", "en": "likes"},
        "review.chart.funnel": {
            "zh-CN": "商品漏斗：曝光 → 点击 → 购买（人）",
            "en": "Product funnel: exposed → clicked → bought (viewers)",
        },
        "review.chart.exposed": {"zh-CN": "曝光", "en": "exposed"},
        "review.chart.clicked": {"zh-CN": "点击", "en": "clicked"},
        "review.chart.bought": {"zh-CN": "购买", "en": "bought"},
        "review.chart.bot": {
            "zh-CN": "机器人答疑：已答 / 建议 / 不答 / 转人工",
            "en": "Bot: answered / suggested / abstained / handed over",
        },
        "review.chart.answered": {"zh-CN": "已答", "en": "answered"},
        "review.chart.abstained": {"zh-CN": "不答", "en": "abstained"},
        "review.chart.escalated": {"zh-CN": "转人工", "en": "handed over"},
        "review.chart.suggested": {"zh-CN": "建议", "en": "suggested"},
        "review.chart.whole": {"zh-CN": "整场", "en": "whole show"},
        "review.chart.cue": {"zh-CN": "提示", "en": "cue"},
    },
)

_CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
)
_BANDS = ("#fff1f0", "#e6f4ff", "#f6ffed", "#fff7e6", "#f9f0ff", "#e6fffb", "#fffbe6", "#f0f5ff")
_CUE_COLOURS = {
    "say": "#8c8c8c",
    "pin": "#fa541c",
    "coupon": "#52c41a",
    "vote": "#1677ff",
    "lottery": "#eb2f96",
    "countdown": "#faad14",
    "repeat": "#bfbfbf",
}
CHARTS = ("concurrency", "activity", "funnel", "bot")


def _fonts() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK_FONTS if name in installed] + ["DejaVu Sans"]


@contextmanager
def _style() -> Iterator[None]:
    params: dict[str, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": _fonts(),
        "axes.unicode_minus": False,
        "svg.fonttype": "none",  # text stays text: small, selectable, and the page's fonts render the Chinese
        "svg.hashsalt": "liveroom-review",  # the same report gives the same SVG
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 9,
    }
    with rc_context(params), warnings.catch_warnings():  # type: ignore[arg-type]
        # Without a CJK font installed the labels still render in the browser (svg.fonttype none).
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        yield


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _downsample(points: Sequence[tuple[float, int]], bins: int = 1500) -> list[tuple[float, int]]:
    """At most about `bins` steps, keeping each bin's highest count so the peak survives."""
    if len(points) <= 2 * bins:
        return list(points)
    first, last = points[0][0], points[-1][0]
    width = (last - first) / bins or 1.0
    out: list[tuple[float, int]] = []
    for t_, count in points:
        slot = first + int((t_ - first) / width) * width
        if out and out[-1][0] == slot:
            out[-1] = (slot, max(out[-1][1], count))
        else:
            out.append((slot, count))
    return out


def _minutes_label(review: ShowReview, lang: str) -> str:
    if review.speed == 1:
        return t(lang, "review.chart.minutes")
    return t(lang, "review.chart.script_minutes", speed=f"{review.speed:g}")


def concurrency_chart(review: ShowReview, lang: str) -> str:
    # Time runs in script minutes: a rehearsal at speed X is drawn as long as the real show.
    per_minute = 60 / review.speed
    with _style():
        fig = Figure(figsize=(9, 3.4))
        ax = fig.add_subplot()
        end = review.seconds / per_minute
        top = max([review.show.peak_concurrent, 1]) * 1.18
        for i, seg in enumerate(review.segments):
            a = (seg.window.start - review.start).total_seconds() / per_minute
            b = (seg.window.end - review.start).total_seconds() / per_minute
            if b <= a:
                continue
            ax.axvspan(a, b, color=_BANDS[i % len(_BANDS)], zorder=0)
            ax.text(
                (a + b) / 2, top * 0.97, seg.window.kind, ha="center", va="top", fontsize=8, color="#595959"
            )
        points = _downsample(review.concurrency)
        xs = [0.0] + [p[0] / per_minute for p in points] + [end]
        ys = [0] + [p[1] for p in points] + [points[-1][1] if points else 0]
        ax.step(xs, ys, where="post", color="#cf1322", linewidth=1.4, zorder=3)
        for kind in sorted({c.kind for c in review.cues}):
            marks = [c.offset / per_minute for c in review.cues if c.kind == kind and not c.missed]
            if marks:
                ax.plot(
                    marks,
                    [top * 0.86] * len(marks),
                    linestyle="none",
                    marker="v",
                    markersize=6,
                    color=_CUE_COLOURS.get(kind, "#595959"),
                    label=f"{t(lang, 'review.chart.cue')} {kind}",
                    zorder=4,
                )
        missed = [c.offset / per_minute for c in review.cues if c.missed]
        if missed:
            ax.plot(missed, [top * 0.86] * len(missed), linestyle="none", marker="x", color="#000", zorder=4)
        peak_at = review.show.peak_at / per_minute
        ax.annotate(
            f"PCU {review.show.peak_concurrent}",
            (peak_at, review.show.peak_concurrent),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
            color="#cf1322",
        )
        ax.set_xlim(0, max(end, 1 / per_minute))
        ax.set_ylim(0, top)
        ax.set_xlabel(_minutes_label(review, lang))
        ax.set_ylabel(t(lang, "review.chart.viewers"))
        ax.set_title(t(lang, "review.chart.concurrency"), loc="left")
        if review.cues:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
        return _svg(fig)


def activity_chart(review: ShowReview, lang: str) -> str:
    with _style():
        fig = Figure(figsize=(9, 2.8))
        ax = fig.add_subplot()
        minutes = list(range(len(review.chat_per_minute)))
        ax.bar(
            [m + 0.5 for m in minutes],
            review.chat_per_minute,
            width=0.8,
            color="#1677ff",
            label=t(lang, "review.chart.chat"),
        )
        ax.set_ylabel(t(lang, "review.chart.chat"))
        ax.set_xlabel(_minutes_label(review, lang))
        likes = ax.twinx()
        likes.plot(
            [m + 0.5 for m in minutes],
            review.likes_per_minute,
            color="#eb2f96",
            marker=".",
            label=t(lang, "review.chart.likes"),
        )
        likes.set_ylabel(t(lang, "review.chart.likes"))
        likes.set_ylim(bottom=0)
        ax.set_xlim(0, max(len(minutes), 1))
        handles = ax.get_legend_handles_labels()[0] + likes.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
        ax.set_title(t(lang, "review.chart.activity"), loc="left")
        return _svg(fig)


def funnel_chart(review: ShowReview, lang: str, names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    products = list(review.products)
    with _style():
        fig = Figure(figsize=(9, 0.9 + 0.55 * max(len(products), 1)))
        ax = fig.add_subplot()
        stages = (
            ("review.chart.exposed", "#91caff"),
            ("review.chart.clicked", "#1677ff"),
            ("review.chart.bought", "#cf1322"),
        )
        height = 0.26
        for s, (label, colour) in enumerate(stages):
            ys = [i + (s - 1) * height for i in range(len(products))]
            values = [p.funnel[s] for p in products]
            bars = ax.barh(ys, values, height=height, color=colour, label=t(lang, label))
            ax.bar_label(bars, fontsize=7, padding=2)
        ax.set_yticks(range(len(products)), [f"{p.sku} {names.get(p.sku, '')}".strip() for p in products])
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.set_title(t(lang, "review.chart.funnel"), loc="left")
        return _svg(fig)


def bot_chart(review: ShowReview, lang: str) -> str:
    rows = [(t(lang, "review.chart.whole"), review.show.bot)] + [
        (s.window.title or s.window.id, s.kpis.bot) for s in review.segments
    ]
    with _style():
        fig = Figure(figsize=(9, 0.9 + 0.4 * len(rows)))
        ax = fig.add_subplot()
        left = [0] * len(rows)
        for key, colour in (
            ("answered", "#52c41a"),
            ("suggested", "#1677ff"),
            ("abstained", "#bfbfbf"),
            ("escalated", "#fa8c16"),
        ):
            values = [getattr(bot, key) for _, bot in rows]
            bars = ax.barh(
                range(len(rows)), values, left=left, color=colour, label=t(lang, f"review.chart.{key}")
            )
            ax.bar_label(bars, labels=[str(v) if v else "" for v in values], label_type="center", fontsize=7)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(range(len(rows)), [label for label, _ in rows])
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.set_title(t(lang, "review.chart.bot"), loc="left")
        return _svg(fig)


def all_charts(review: ShowReview, lang: str, names: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every chart of the report by name (see `CHARTS`), as SVG text."""
    return {
        "concurrency": concurrency_chart(review, lang),
        "activity": activity_chart(review, lang),
        "funnel": funnel_chart(review, lang, names),
        "bot": bot_chart(review, lang),
    }


def strip_ids(svg: str) -> str:
    """The SVG without its generated ids (for comparing two renderings)."""
    return re.sub(r'id="[^"]*"', "", svg)
