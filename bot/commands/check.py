"""`liveroom check DIR`: validate a rules directory."""

from __future__ import annotations

import argparse
import sys

from bot.rules import RuleErrors, load_rulebook
from media.i18n import t


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("check", help="检查规则目录 / validate a rules directory")
    parser.add_argument(
        "directory", nargs="?", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)"
    )
    parser.add_argument("--rules", dest="rules_opt", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh", "en"], help="message language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir

    directory = args.directory or args.rules_opt or default_rules_dir()
    lang = "en" if args.lang == "en" else "zh-CN"
    try:
        rulebook = load_rulebook(directory)
    except RuleErrors as exc:
        for line in exc.render(lang):
            print(line)
        print(t(lang, "rules.failed", count=len(exc.errors)), file=sys.stderr)
        return 1
    print(t(lang, "rules.summary", **rulebook.summary_counts()))
    return 0
