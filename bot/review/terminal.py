"""The review in the terminal: the report's tables drawn with rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from bot.review.compare import Comparison, format_delta
from bot.review.export import RunInfo
from bot.review.kpi import ShowReview
from bot.review.recordings import recordings_table
from bot.review.tables import Table, build_tables, format_cell, format_clock
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.terminal",
    {
        "review.terminal.heading": {
            "zh-CN": "复盘：{title}（场次 {run}，{start} 开播，时长 {length}，{speed}× 速）",
            "en": "Review: {title} (run {run}, started {start}, length {length}, speed {speed}×)",
        },
    },
)


def rich_table(table: Table) -> RichTable:
    out = RichTable(title=table.title, box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold")
    for c, column in enumerate(table.columns):
        numeric = c > 0 and any(not isinstance(row[c], str) for row in table.rows)
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
            start=review.start.astimezone().strftime("%Y-%m-%d %H:%M"),
            length=format_clock(review.seconds),
            speed=f"{info.speed:g}",
        ),
        style="bold",
    )
    for table in build_tables(review, lang, info.product_names):
        if table.name == "segments" and table.rows:
            # Many KPIs, few segments: segments across, KPIs down, as in the show table.
            table = table.transposed()
        if table.rows:
            console.print(rich_table(table))
    if info.recordings:
        console.print(rich_table(recordings_table(info.recordings, review.start, lang)))
        console.print(t(lang, "review.recording.clip_hint"), style="dim")


def comparison_tables(comparison: Comparison, lang: str) -> list[RichTable]:
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
            label_key = (
                f"review.cmp.{row.key}" if row.key in ("segments", "minutes") else f"review.kpi.{row.key}"
            )
            cells = [format_cell(v, row.unit) for v in row.values]
            deltas = [format_delta(row.values[0], v, row.unit, lang) for v in row.values[1:]]
            group = [row.group if row.group != previous else ""] if grouped else []
            if grouped and row.group != previous and previous is not None:
                table.add_section()
            previous = row.group
            table.add_row(*group, t(lang, label_key), *cells, *deltas)
        tables.append(table)
    return tables


def print_comparison(comparison: Comparison, lang: str, console: Console) -> None:
    for table in comparison_tables(comparison, lang):
        console.print(table)
    console.print(t(lang, "review.cmp.highlights"), style="bold")
    for line in comparison.highlights:
        console.print(f"  {line}", highlight=False)
