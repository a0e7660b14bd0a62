"""The review in the terminal: the report's tables drawn with rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from bot.review.export import RunInfo
from bot.review.kpi import ShowReview
from bot.review.tables import Table, build_tables, format_clock
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    {
        "review.terminal.heading": {
            "zh-CN": "复盘：{title}（场次 {run}，{start} 开播，时长 {length}，{speed}× 速）",
            "en": "Review: {title} (run {run}, started {start}, length {length}, speed {speed}×)",
        },
    }
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
