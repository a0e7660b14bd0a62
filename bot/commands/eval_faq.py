"""`liveroom eval-faq`: accuracy, wrong-answer rate and abstain recall on a labelled TSV
(`--queries`), or leave-one-shop-out over a corpus of shops (`--shops tests/data/shops`)."""

from __future__ import annotations

import argparse
import sys

from bot.faq.evaluate import Tally
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
        "faq.eval.need_input": {
            "zh-CN": "需要 --queries FILE.tsv 或 --shops 目录",
            "en": "give --queries FILE.tsv or --shops DIR",
        },
        "faq.eval.bad_shops": {"zh-CN": "店铺语料有误：{detail}", "en": "bad shop corpus: {detail}"},
        "faq.eval.progress": {
            "zh-CN": "[{i}/{n}] 建索引并计算问题：{shop}",
            "en": "[{i}/{n}] indexing and scoring the questions of {shop}",
        },
        "faq.eval.loso_title": {
            "zh-CN": "留一店铺交叉验证（每家店用其余未封存店铺拟合的模型评分）· 向量模型 {model}",
            "en": "leave-one-shop-out (each shop scored by a model fitted on the other non-sealed shops) · embeddings {model}",
        },
        "faq.eval.shop_header": {
            "zh-CN": "{name:<16} {n:>5} {acc:>8} {wrong:>8} {recall:>8} {aop:>8}",
            "en": "{name:<16} {n:>5} {acc:>8} {wrong:>8} {recall:>8} {aop:>8}",
        },
        "faq.eval.shop_columns": {
            "zh-CN": "店铺 问题数 准确率 答错率 拒答召回 答或建议对",
            "en": "shop queries accuracy wrong abstain-recall answer|proposal",
        },
        "faq.eval.overall_dev": {"zh-CN": "总计（开发店铺）", "en": "overall (dev)"},
        "faq.eval.overall_sealed": {"zh-CN": "总计（封存店铺）", "en": "overall (sealed)"},
        "faq.eval.sealed_note": {
            "zh-CN": "封存店铺（开发中从未查看）：用全部未封存店铺拟合的模型评分",
            "en": "sealed shops (never seen during development): scored by the model fitted on all non-sealed shops",
        },
        "faq.eval.refit": {
            "zh-CN": "已写入 {path}（拟合于 {shops}）",
            "en": "wrote {path} (fitted on {shops})",
        },
        "faq.eval.refit_sealed": {
            "zh-CN": "--refit 只用未封存店铺拟合；不能和 --sealed only 一起用",
            "en": "--refit fits on the non-sealed shops only; it cannot be used with --sealed only",
        },
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval-faq", help="评估 FAQ 回答 / evaluate the FAQ answerer")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument(
        "--queries",
        default=None,
        metavar="FILE.tsv",
        help="columns query, expected (- = abstain), kind[, product]",
    )
    parser.add_argument(
        "--shops",
        default=None,
        metavar="DIR",
        help="leave-one-shop-out over the shop folders in DIR (tests/data/shops)",
    )
    parser.add_argument(
        "--sealed",
        default="exclude",
        choices=["exclude", "include", "only"],
        help="shop folders with a SEALED file: left out (default), scored too, or scored alone",
    )
    parser.add_argument("--json", action="store_true", help="one JSON report on stdout")
    parser.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="cache the corpus' embeddings in DIR (e.g. var/embed-cache) to run again fast",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="with --shops: write the model fitted on all non-sealed shops to bot/faq/calibration.json",
    )
    parser.add_argument(
        "--show-misses", action="store_true", help="list every query answered wrongly or not at all"
    )
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh", "en"], help="message language")
    parser.set_defaults(handler=run)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def run(args: argparse.Namespace) -> int:
    lang = "en" if args.lang == "en" else "zh-CN"
    if args.shops:
        return run_shops(args, lang)
    if not args.queries:
        print(t(lang, "faq.eval.need_input"), file=sys.stderr)
        return 2
    return run_queries(args, lang)


def run_shops(args: argparse.Namespace, lang: str) -> int:
    import json

    from bot.faq.calibrate import CALIBRATION_FILE, EXEMPLARS_FILE
    from bot.faq.evaluate import ShopError, TsvError, find_shops, leave_one_shop_out, load_shop
    from bot.faq.semantic import CachedEmbedder, Embedder, default_embedder

    if args.refit and args.sealed == "only":
        print(t(lang, "faq.eval.refit_sealed"), file=sys.stderr)
        return 2
    try:
        paths = find_shops(args.shops, args.sealed)
        if args.sealed == "only":
            # sealed shops are scored by a model fitted on the non-sealed ones
            paths = find_shops(args.shops, "include")
        shops = [load_shop(p) for p in paths]
    except RuleErrors as exc:
        for line in exc.render(lang):
            print(line, file=sys.stderr)
        print(t(lang, "rules.failed", count=len(exc.errors)), file=sys.stderr)
        return 1
    except (ShopError, TsvError) as exc:
        print(t(lang, "faq.eval.bad_shops", detail=str(exc)), file=sys.stderr)
        return 1
    embedder: Embedder = default_embedder()
    cached = CachedEmbedder(embedder, args.cache) if args.cache else None

    def progress(shop: str, i: int, n: int) -> None:
        print(t(lang, "faq.eval.progress", i=i, n=n, shop=shop), file=sys.stderr, flush=True)

    try:
        report, fitted = leave_one_shop_out(shops, cached or embedder, progress)
    except ShopError as exc:
        print(t(lang, "faq.eval.bad_shops", detail=str(exc)), file=sys.stderr)
        return 1
    finally:
        if cached is not None:
            cached.save()
    if args.sealed == "only":
        report.shops = [r for r in report.shops if r.sealed]
    if args.refit:
        calibration, exemplars = fitted
        calibration.save(CALIBRATION_FILE)
        exemplars.save(EXEMPLARS_FILE)
        print(
            t(lang, "faq.eval.refit", path=CALIBRATION_FILE, shops=", ".join(calibration.fitted_on)),
            file=sys.stderr,
        )
    if args.json:
        data = report.as_json()
        if not args.show_misses:
            for shop in data["shops"]:
                shop.pop("misses")
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0

    def shop_line(name: str, tally: Tally) -> str:
        return t(
            lang,
            "faq.eval.shop_header",
            name=name,
            n=tally.total,
            acc=_pct(tally.accuracy),
            wrong=_pct(tally.wrong_rate),
            recall=_pct(tally.abstain_recall),
            aop=_pct(tally.answer_or_proposal),
        )

    columns = t(lang, "faq.eval.shop_columns").split()
    print(t(lang, "faq.eval.loso_title", model=report.model))
    print(
        t(
            lang,
            "faq.eval.shop_header",
            **dict(zip(("name", "n", "acc", "wrong", "recall", "aop"), columns, strict=True)),
        )
    )
    dev = [r for r in report.shops if not r.sealed]
    sealed = [r for r in report.shops if r.sealed]
    for result in dev:
        print(shop_line(result.shop, result.tally))
    if dev:
        print(shop_line(t(lang, "faq.eval.overall_dev"), report.overall(False)))
    if sealed:
        print()
        print(t(lang, "faq.eval.sealed_note"))
        for result in sealed:
            print(shop_line(result.shop, result.tally))
        print(shop_line(t(lang, "faq.eval.overall_sealed"), report.overall(True)))
    if args.show_misses:
        for result in report.shops:
            for miss in result.misses:
                print(
                    f"{result.shop}/queries.tsv:{miss['line']}\t{miss['query']}\texpected={miss['expected'] or '-'}"
                    f"\t{miss['verdict']}={miss['got'] or '-'}\t{miss['probability']:.3f}"
                )
    return 0


def run_queries(args: argparse.Namespace, lang: str) -> int:
    from bot.faq.answerer import FaqAnswerer
    from bot.faq.evaluate import TsvError, evaluate, read_queries
    from bot.rules import default_rules_dir

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
