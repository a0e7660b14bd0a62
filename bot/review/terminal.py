"""The review in the terminal: the report's tables drawn with rich."""

from __future__ import annotations

from dataclasses import replace

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable

from bot.review.compare import Comparison, format_delta, row_label
from bot.review.conclusions import Conclusions, basis
from bot.review.export import RunInfo
from bot.review.kpi import ShowReview
from bot.review.recordings import recordings_table
from bot.review.tables import Column, Table, format_cell, format_clock, join_words
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.terminal",
    {
        "review.terminal.heading": {
            "zh-CN": "复盘：{title}（场次 {run}，{start} 开播，时长 {length}，{speed}× 速）",
            "en": "Review: {title} (run {run}, started {start}, length {length}, speed {speed}×)",
        },
        "review.terminal.not_reached": {
            "zh-CN": "未开始的环节（场次在此之前结束）：{segments}",
            "en": "segments the run ended before: {segments}",
        },
    },
)


def rich_table(table: Table) -> RichTable:
    out = RichTable(title=table.title, box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold")
    labels = [str(row[0]) for row in table.rows] + [table.columns[0].label] if table.columns else []
    for c, column in enumerate(table.columns):
        numeric = c > 0 and any(not isinstance(row[c], str) for row in table.rows)
        if c == 0:  # what each row is stays readable however narrow the terminal
            width = min(18, max((cell_len(label) for label in labels), default=4))
            out.add_column(column.label, no_wrap=True, min_width=width)
            continue
        out.add_column(column.label, justify="right" if numeric else "left", no_wrap=numeric)
    for row in table.formatted():
        out.add_row(*row)
    return out


def print_review(review: ShowReview, info: RunInfo, lang: str, console: Console) -> None:
    console.print(
        t(
            lang,
            "review.terminal.heading",
            title=info.title or info.show_id,
            run=info.run_id if info.run_id is not None else "—",
            start=f"{info.local(review.start):%Y-%m-%d %H:%M} ({info.timezone})",
            length=format_clock(review.seconds),
            speed=f"{info.speed:g}",
        ),
        style="bold",
    )
    print_conclusions(info.conclusions(review, lang), lang, console)
    for table in info.tables(review, lang):
        if table.name == "segments" and table.rows:
            table = _segments_down(table, review, lang, console)
        elif table.name == "products" and 0 < len(table.rows) <= 8:
            table = table.transposed(t(lang, "review.col.kpi"), key=0)  # products across, KPIs down
        if table.rows:
            console.print(rich_table(table))
    highlights = highlights_table(review, info, lang)
    if highlights.rows:
        console.print(rich_table(highlights))
        if info.clips():
            console.print(f"  {info.clips_dir}", style="dim", highlight=False)
    if info.recordings:
        console.print(rich_table(recordings_table(info.recordings, review.start, lang)))
        console.print(t(lang, "review.recording.clip_hint"), style="dim")


def highlights_table(review: ShowReview, info: RunInfo, lang: str) -> Table:
    """The run's highlights with what happened during each and its clip file, once cut."""
    clips = info.clips()
    rows = []
    for h in info.highlights(review, lang):
        clip = clips.get(h.slug, {})
        start, end = float(clip.get("start", h.start)), float(clip.get("end", h.end))
        file = clip.get("file")
        rows.append(
            (
                h.title,
                start,
                end - start,
                h.orders,
                h.gmv,
                h.clicks,
                file.name
                if file
                else t(lang, "review.highlight.not_cut", show=info.show_id, run=info.run_id),
            )
        )
    return Table(
        "highlights",
        t(lang, "review.highlight.table"),
        (
            Column("title", t(lang, "review.highlight.col.moment")),
            Column("start", t(lang, "review.highlight.col.at"), "clock"),
            Column("length", t(lang, "review.highlight.col.length"), "seconds"),
            Column("orders", t(lang, "review.kpi.orders")),
            Column("gmv", t(lang, "review.kpi.gmv"), "money"),
            Column("clicks", t(lang, "review.kpi.clicks")),
            Column("clip", t(lang, "review.highlight.col.clip")),
        ),
        tuple(rows),
        money=info.money,
    )


def print_conclusions(conclusions: Conclusions, lang: str, console: Console) -> None:
    """复盘结论 first, the way the meeting runs: what to keep, what went wrong, what to change."""
    console.print(t(lang, "review.conclude.title"), style="bold underline")
    for key, findings, mark, style in (
        ("good", conclusions.good, "✔", "green"),
        ("problems", conclusions.problems, "✘", "red"),
        ("next", conclusions.next, "→", "cyan"),
    ):
        console.print(t(lang, f"review.conclude.{key}"), style=f"bold {style}")
        if not findings:
            console.print(f"  {t(lang, 'review.conclude.none')}", style="dim")
        for finding in findings:
            console.print(f"  {mark} {finding.text}", highlight=False)
    console.print(basis(conclusions, lang), style="dim")
    console.print()


def _segments_down(table: Table, review: ShowReview, lang: str, console: Console) -> Table:
    """Many KPIs, few segments: segments across (by id, the segments the run reached), KPIs down with
    their names in the first column, as in the show table."""
    reached = [s.window.seconds > 0 for s in review.segments]
    skipped = [s.window.id for s, ok in zip(review.segments, reached, strict=True) if not ok]
    rows = tuple(row for row, ok in zip(table.rows, reached, strict=True) if ok)
    if skipped:
        console.print(t(lang, "review.terminal.not_reached", segments=join_words(skipped, lang)), style="dim")
    key = [c.key for c in table.columns].index("segment_id")
    return replace(table, rows=rows).transposed(t(lang, "review.col.kpi"), key=key)


def comparison_tables(comparison: Comparison, lang: str, money: str = "¥") -> list[RichTable]:
    base = comparison.labels[0]
    tables: list[RichTable] = []
    for title_key, rows, grouped in (
        ("review.cmp.table.show", comparison.show, False),
        ("review.cmp.table.kinds", comparison.kinds, True),
        ("review.cmp.table.products", comparison.products, True),
    ):
        if not rows:
            continue
        table = RichTable(
            title=t(lang, title_key), box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold"
        )
        if grouped:
            table.add_column("")
        table.add_column(t(lang, "review.col.kpi"))
        for label in comparison.labels:
            table.add_column(label, justify="right")
        for label in comparison.labels[1:]:
            table.add_column(f"{label} {t(lang, 'review.cmp.delta', base=base)}", justify="right")
        previous = None
        for row in rows:
            cells = [format_cell(v, row.unit, money) for v in row.values]
            deltas = [format_delta(row.values[0], v, row.unit, lang, money) for v in row.values[1:]]
            group = [row.group if row.group != previous else ""] if grouped else []
            if grouped and row.group != previous and previous is not None:
                table.add_section()
            previous = row.group
            table.add_row(*group, row_label(row.key, lang), *cells, *deltas)
        tables.append(table)
    return tables


def print_comparison(comparison: Comparison, lang: str, console: Console, money: str = "¥") -> None:
    for line in comparison.warnings:
        console.print(line, style="bold yellow", highlight=False)
    for table in comparison_tables(comparison, lang, money):
        console.print(table)
    console.print(t(lang, "review.cmp.highlights"), style="bold")
    for line in comparison.highlights:
        console.print(f"  {line}", highlight=False)
