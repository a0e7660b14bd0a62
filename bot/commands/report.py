"""`liveroom report SHOW [--run N] [--json] [--html FILE] [--csv DIR]`: the review (复盘) of a show run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "report",
    {
        "report.wrote": {"zh-CN": "已写入 {path}", "en": "wrote {path}"},
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="复盘报告 / KPIs of a show run")
    parser.add_argument("show", help="show id")
    parser.add_argument("--run", type=int, default=None, metavar="N", help="run id (default: the latest run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--html", default=None, metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--csv", default=None, metavar="DIR", help="write every table as a CSV file")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.review.export import to_json, write_csv
    from bot.review.html import render_html
    from bot.review.source import load_for_command
    from bot.review.terminal import print_review

    loaded = load_for_command(args)
    if loaded is None:
        return 1
    lang, review, info = loaded.lang, loaded.review, loaded.info
    if args.json:
        print(json.dumps(to_json(review, info, lang), ensure_ascii=False))
    else:
        print_review(review, info, lang, Console())
    if args.html:
        Path(args.html).write_text(render_html(review, info, lang), encoding="utf-8")
        print(t(lang, "report.wrote", path=args.html), file=sys.stderr)
    if args.csv:
        for path in write_csv(info.tables(review, lang), Path(args.csv), lang):
            print(t(lang, "report.wrote", path=path), file=sys.stderr)
    return 0
