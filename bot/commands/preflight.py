"""`liveroom preflight SHOW`: the pre-show checklist; exits 1 when anything is ✘."""

from __future__ import annotations

import argparse
import asyncio

from bot.plan.preflight import Check, edge_checks, rule_checks
from bot.rules import RuleErrors, load_rulebook
from media.i18n import t


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("preflight", help="开播前检查 / the pre-show checklist")
    parser.add_argument("show", help="show id")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir

    lang = args.lang or "zh-CN"
    checks: list[Check]
    try:
        rulebook = load_rulebook(args.rules or default_rules_dir())
    except RuleErrors as exc:
        lines = exc.render(lang)
        checks = [Check(False, "preflight.rules_bad", {"error": line}) for line in lines]
    else:
        lang = args.lang or rulebook.room.language
        checks = [Check(True, "preflight.rules_ok", {}), *rule_checks(rulebook, args.show)]
    checks += asyncio.run(edge_checks())
    for check in checks:
        print(check.render(lang))
    failed = sum(1 for c in checks if c.ok is False)
    print(t(lang, "preflight.summary_bad", count=failed) if failed else t(lang, "preflight.summary_ok"))
    return 1 if failed else 0
