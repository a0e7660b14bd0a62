"""`liveroom faq gaps SHOW [--run N] [--json]`: what a show's viewers asked that the FAQ did not cover,
grouped by meaning, with a proposed entry for each group (for the review meeting)."""

from __future__ import annotations

import argparse
import json

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "faq.cmd",
    {
        "faq.cmd.heading": {
            "zh-CN": "{show} 第 {run} 场：{summary}",
            "en": "{show} run {run}: {summary}",
        },
        "faq.cmd.group": {"zh-CN": "{n}. {example}（{count} 次）", "en": "{n}. {example} ({count}×)"},
        "faq.cmd.also": {"zh-CN": "   其他问法：{also}", "en": "   also asked as: {also}"},
        "faq.cmd.answer": {"zh-CN": "   建议回答：{answer}", "en": "   proposed answer: {answer}"},
        "faq.cmd.outcome": {"zh-CN": "   当时：{outcome}", "en": "   at the time: {outcome}"},
        "faq.cmd.hint": {
            "zh-CN": "在中控台点“加入FAQ”（或 POST /api/faq/<room>/learn）把它们写进 faq.yaml",
            "en": "Add them to faq.yaml with the studio's 加入FAQ (or POST /api/faq/<room>/learn)",
        },
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("faq", help="FAQ 缺口 / what the FAQ did not cover")
    faq = parser.add_subparsers(dest="faq_command", metavar="WHAT")
    faq.required = True
    gaps = faq.add_parser("gaps", help="转人工的问题按意思分组 / handed-over questions grouped by meaning")
    gaps.add_argument("show", help="show id")
    gaps.add_argument("--run", type=int, default=None, metavar="N", help="run id (default: the latest run)")
    gaps.add_argument("--json", action="store_true", help="one JSON object: {show, run, groups}")
    gaps.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    gaps.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    gaps.set_defaults(handler=run_gaps)


def run_gaps(args: argparse.Namespace) -> int:
    from bot.review.gaps import faq_gaps, gap_rows
    from bot.review.source import load_for_command

    loaded = load_for_command(args, earlier=False)
    if loaded is None:
        return 1
    lang, review, info = loaded.lang, loaded.review, loaded.info
    groups = faq_gaps(review.queued)
    if args.json:
        body = {"show": info.show_id, "run": info.run_id, "groups": [g.as_json() for g in groups]}
        print(json.dumps(body, ensure_ascii=False))
        return 0
    if not groups:
        print(t(lang, "review.gaps.none"))
        return 0
    summary = t(lang, "review.gaps.summary", questions=sum(g.count for g in groups), groups=len(groups))
    print(t(lang, "faq.cmd.heading", show=info.show_id, run=info.run_id, summary=summary))
    for n, (count, example, also, answer, outcome) in enumerate(gap_rows(groups, lang), start=1):
        print()
        print(t(lang, "faq.cmd.group", n=n, example=example, count=count))
        if also:
            print(t(lang, "faq.cmd.also", also=also))
        print(t(lang, "faq.cmd.answer", answer=answer))
        print(t(lang, "faq.cmd.outcome", outcome=outcome))
    print()
    print(t(lang, "faq.cmd.hint"))
    return 0
