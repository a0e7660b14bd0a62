"""`liveroom compare SHOW SHOW… [--run N …]`: shows side by side, deltas against the first, highlights.
One SHOW alone compares its runs (the last `MAX_RUNS`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "compare",
    {
        "compare.d_two": {
            "zh-CN": "至少要两场才能对比（SHOW 或 SHOW@场次）",
            "en": "compare needs at least two shows (SHOW or SHOW@RUN)",
        },
        "compare.one_run": {
            "zh-CN": "“{show}”只有 {count} 个场次，至少要两场才能对比（再开一场，或写 SHOW SHOW…）",
            "en": "'{show}' has {count} run(s); compare needs two (run it again, or name SHOW SHOW…)",
        },
        "compare._ref": {
            "zh-CN": "“{value}”看不懂：写 SHOW 或 SHOW@场次，如 demo@3",
            "en": "cannot read '{value}': write SHOW or SHOW@RUN, e.g. demo@3",
        },
    },
)


MAX_RUNS = 6


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("compare", help="多场对比复盘 / compare shows side by side")
    parser.add_argument(
        "shows",
        nargs="+",
        metavar="SHOW",
        help="show ids; SHOW@N picks run N (default: latest); one SHOW alone: its runs side by side",
    )
    parser.add_argument(
        "--run", type=int, action="append", default=None, metavar="N", help="run of each show, in order"
    )
    parser.add_argument("--json", action="store_true", help="print the highlights and rows as JSON")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def parse_refs(shows: list[str], runs: list[int] | None) -> list[tuple[str, int | None]]:
    """`demo`, `demo@3` and `--run` (paired with the shows in order) as (show, run or None)."""
    refs: list[tuple[str, int | None]] = []
    for i, value in enumerate(shows):
        show, sep, run = value.partition("@")
        if not show or (sep and not run.isdigit()):
            raise ValueError(value)
        run_id = int(run) if sep else (runs[i] if runs and i < len(runs) else None)
        refs.append((show, run_id))
    return refs


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.review.compare import compare, number, row_label
    from bot.review.source import LoadedReview, ReviewError, load_review, run_ids
    from bot.review.terminal import print_comparison

    lang = args.lang or "zh-CN"
    try:
        refs = parse_refs(args.shows, args.run)
    except ValueError as exc:
        print(t(lang, "compare._ref", value=exc.args[0]), file=sys.stderr)
        return 2
    every_run = len(refs) == 1 and refs[0][1] is None

    async def load_all() -> list[LoadedReview] | None:
        chosen = refs
        if every_run:
            show = refs[0][0]
            ids = (await run_ids(show, lang))[-MAX_RUNS:]
            if len(ids) < 2:
                print(t(lang, "compare.one_run", show=show, count=len(ids)), file=sys.stderr)
                return None
            chosen = [(show, run_id) for run_id in ids]
        return [
            await load_review(show, run_id, args.rules, args.lang, earlier=False) for show, run_id in chosen
        ]

    if len(refs) < 2 and not every_run:
        print(t(lang, "compare.d_two"), file=sys.stderr)
        return 2
    try:
        found = asyncio.run(load_all())
    except ReviewError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    if found is None:
        return 1
    loaded = found
    lang = loaded[0].lang
    labels = [f"{r.info.show_id}#{r.info.run_id}" for r in loaded]
    money = loaded[0].info.money
    comparison = compare(labels, [r.review for r in loaded], lang, money)
    if args.json:
        rows = {
            name: [
                {
                    "group": row.group,
                    "key": row.key,
                    "label": row_label(row.key, lang),
                    "values": [number(v, row.unit) for v in row.values],
                }
                for row in rows
            ]
            for name, rows in (
                ("show", comparison.show),
                ("kinds", comparison.kinds),
                ("products", comparison.products),
            )
        }
        print(
            json.dumps(
                {
                    "labels": labels,
                    "speeds": list(comparison.speeds),
                    "warnings": list(comparison.warnings),
                    "highlights": list(comparison.highlights),
                    **rows,
                },
                ensure_ascii=False,
            )
        )
    else:
        print_comparison(comparison, lang, Console(), money)
    return 0
