"""`liveroom brief SHOW [--html FILE]`: the show brief for the pre-show meeting."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from html import unescape
from pathlib import Path

from bot.plan.brief import render_brief_html
from bot.plan.preflight import Check, edge_checks, rule_checks
from bot.rules import RuleErrors, load_rulebook


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("brief", help="开播前简报 / the show brief for the pre-show meeting")
    parser.add_argument("show", help="show id (file name under rules/shows/ without .yaml)")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--html", default=None, metavar="FILE", help="write the printable HTML page here")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def _as_text(html: str) -> str:
    text = re.sub(r"<head>.*?</head>", "", html, flags=re.S)
    text = re.sub(r"</(h1|h2|h3|p|li|tr|div)>", "\n", text)
    text = re.sub(r"<(td|th)>", " | ", text)
    text = re.sub(r"<[^>]+>", "", text)
    return "\n".join(line.strip() for line in unescape(text).splitlines() if line.strip())


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir

    try:
        rulebook = load_rulebook(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render(args.lang or "zh-CN"):
            print(line, file=sys.stderr)
        return 1
    if args.show not in rulebook.shows:
        known = ", ".join(sorted(rulebook.shows)) or "-"
        print(f"没有这场直播 no such show: {args.show}（已有 known: {known}）", file=sys.stderr)
        return 1
    checklist = [Check(True, "preflight.rules_ok", {}), *rule_checks(rulebook, args.show)]
    checklist += asyncio.run(edge_checks())
    html = render_brief_html(rulebook, args.show, checklist, lang=args.lang)
    if args.html:
        Path(args.html).write_text(html, encoding="utf-8")
        print(args.html)
    else:
        print(_as_text(html))
    return 0
