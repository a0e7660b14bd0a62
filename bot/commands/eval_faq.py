"""`liveroom eval-faq`: accuracy, wrong-answer rate and abstain recall on a labelled TSV."""

from __future__ import annotations

import argparse
import sys

from bot.rules import RuleErrors, load_faq_rules
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "faq.eval",
    {
        "faq.eval.header": {
            "zh-CN": "{name:<14} {n:>5} {acc:>8} {wrong:>8} {recall:>8}",
            "en": "{name:<14} {n:>5} {acc:>8} {wrong:>8} {recall:>8}",
        },
        "faq.eval.columns": {
            "zh-CN": "类别 问题数 准确率 答错率 拒答召回",
            "en": "kind queries accuracy wrong abstain-recall",
        },
        "faq.eval.overall": {"zh-CN": "总计", "en": "overall"},
        "faq.eval.unknown_ids": {
            "zh-CN": "{path}:{line}: FAQ 中没有编号“{faq_id}”",
            "en": "{path}:{line}: no FAQ entry '{faq_id}'",
        },
        "faq.eval.unknown_product": {
            "zh-CN": "{path}:{line}: 未知的商品 sku“{sku}”",
            "en": "{path}:{line}: unknown product sku '{sku}'",
        },
        "faq.eval.bad_tsv": {"zh-CN": "问题文件有误：{detail}", "en": "bad queries file: {detail}"},
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval-faq", help="评估 FAQ 回答 / evaluate the FAQ answerer")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument(
        "--queries",
        required=True,
        metavar="FILE.tsv",
        help="columns query, expected (- = abstain), kind[, product]",
    )
    parser.add_argument(
        "--show-misses", action="store_true", help="list every query answered wrongly or not at all"
    )
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh", "en"], help="message language")
    parser.set_defaults(handler=run)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def run(args: argparse.Namespace) -> int:
    from bot.faq.answerer import FaqAnswerer
    from bot.faq.evaluate import Tally, TsvError, evaluate, read_queries
    from bot.rules import default_rules_dir

    lang = "en" if args.lang == "en" else "zh-CN"
    try:
        products, faq, room = load_faq_rules(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render(lang):
            print(line, file=sys.stderr)
        print(t(lang, "rules.failed", count=len(exc.errors)), file=sys.stderr)
        return 1
    try:
        rows = read_queries(args.queries)
    except TsvError as exc:
        print(t(lang, "faq.eval.bad_tsv", detail=str(exc)), file=sys.stderr)
        return 1
    ids = {e.id for e in faq}
    skus = {p.sku for p in products}
    problems = [
        t(lang, "faq.eval.unknown_ids", path=args.queries, line=r.line, faq_id=r.expected)
        for r in rows
        if r.expected is not None and r.expected not in ids
    ]
    problems += [
        t(lang, "faq.eval.unknown_product", path=args.queries, line=r.line, sku=r.product)
        for r in rows
        if r.product is not None and r.product not in skus
    ]
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        return 1

    answerer = FaqAnswerer.build(products, faq, room)

    def answer(query: str, product: str | None) -> tuple[str | None, float]:
        result = answerer.answer(query, product)
        return result.faq_id, result.score

    report = evaluate(rows, answer)

    def tally_line(name: str, tally: Tally) -> str:
        return t(
            lang,
            "faq.eval.header",
            name=name,
            n=tally.total,
            acc=_pct(tally.accuracy),
            wrong=_pct(tally.wrong_rate),
            recall=_pct(tally.abstain_recall),
        )

    print(
        t(
            lang,
            "faq.eval.header",
            **dict(
                zip(("name", "n", "acc", "wrong", "recall"), t(lang, "faq.eval.columns").split(), strict=True)
            ),
        )
    )
    print(tally_line(t(lang, "faq.eval.overall"), report.overall))
    for kind in sorted(report.kinds):
        print(tally_line(kind, report.kinds[kind]))
    if args.show_misses:
        for row, got, score in report.misses:
            print(
                f"{args.queries}:{row.line}\t{row.query}\texpected={row.expected or '-'}\tgot={got or '-'}\t{score:.3f}"
            )
    return 0
