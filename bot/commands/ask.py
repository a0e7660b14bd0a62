"""`liveroom ask`: answer viewer questions from the FAQ, one or a batch from stdin."""

from __future__ import annotations

import argparse
import json
import sys

from bot.rules import RuleErrors, load_faq_rules
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "ask",
    {
        "ask.abstained": {
            "zh-CN": "（不回答，交给助理；最接近：{faq_id}，得分 {score}）",
            "en": "(no answer, left to the team; closest: {faq_id}, score {score})",
        },
        "ask.no_question": {
            "zh-CN": "请给出问题，或用 - 从标准输入逐行读取",
            "en": "give a question, or - to read one per line from stdin",
        },
        "ask.unknown_product": {"zh-CN": "未知的商品 sku：{sku}", "en": "unknown product sku: {sku}"},
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("ask", help="用 FAQ 回答观众问题 / answer viewer questions from the FAQ")
    parser.add_argument("question", nargs="?", default=None, help="the question, or - for one per stdin line")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--product", default=None, metavar="SKU", help="the pinned product")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh", "en"], help="message language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.faq.answerer import FaqAnswerer
    from bot.rules import default_rules_dir

    lang = "en" if args.lang == "en" else "zh-CN"
    if args.question is None and sys.stdin.isatty():
        print(t(lang, "ask.no_question"), file=sys.stderr)
        return 2
    try:
        products, faq, room = load_faq_rules(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render(lang):
            print(line, file=sys.stderr)
        print(t(lang, "rules.failed", count=len(exc.errors)), file=sys.stderr)
        return 1
    if args.product is not None and args.product not in {p.sku for p in products}:
        print(t(lang, "ask.unknown_product", sku=args.product), file=sys.stderr)
        return 1
    answerer = FaqAnswerer.build(products, faq, room)
    if args.question not in (None, "-"):
        questions = [args.question]
    else:
        questions = (line.rstrip("\r\n") for line in sys.stdin)  # type: ignore[assignment]
    for question in questions:
        if not question.strip():
            continue
        answer = answerer.answer(question, args.product)
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=False)
        elif answer.text is not None:
            print(f"[{answer.faq_id} {answer.score:.2f}] {answer.text}")
        else:
            closest = answer.decision.match.faq_id or "-"
            print(t(lang, "ask.abstained", faq_id=closest, score=f"{answer.score:.2f}"))
    sys.stdout.flush()
    return 0
