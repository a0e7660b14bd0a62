"""The review's conclusions in words (复盘结论), as a 复盘 meeting runs: 做得好的 (what to keep),
问题 (what went wrong, each tied to a segment, product, coupon or cue and a number), 下一场改进
(what to change). Pure: derived from the run's KPIs and, where there are some, the team's earlier shows
(their median)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.review.records import Ratio
from bot.review.results import EarlierRun, SegmentKpis, ShowReview
from bot.review.tables import format_cell, format_clock, format_money, format_seconds, join_words, kpi_value
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "review.conclude",
    {
        "review.conclude.good": {"zh-CN": "做得好的", "en": "What went well (keep)"},
        "review.conclude.problems": {"zh-CN": "问题", "en": "What went wrong"},
        "review.conclude.next": {"zh-CN": "下一场改进", "en": "Next show: change"},
        "review.conclude.none": {"zh-CN": "（没有发现）", "en": "(nothing found)"},
        "review.conclude.title": {"zh-CN": "复盘结论", "en": "Conclusions"},
        "review.conclude.basis": {
            "zh-CN": "依据本场数据{history}得出。",
            "en": "Drawn from this run's numbers{history}.",
        },
        "review.conclude.basis_history": {
            "zh-CN": "，并对比团队之前 {count} 场的中位数",
            "en": ", compared with the median of the team's {count} earlier shows",
        },
        # problems
        "review.conclude.leaving": {
            "zh-CN": "「{segment}」（{kind}，开播后 {at}）观众走得最快：{left}/{viewers} 人在这一环节离开，"
            "每分钟流失 {rate}，是其他环节中位数（{median}）的 {times} 倍",
            "en": "'{segment}' ({kind}, at {at}) lost viewers fastest: {left} of {viewers} left during it, "
            "{rate} a minute, {times}× the other segments' median ({median})",
        },
        "review.conclude.leaving_only": {
            "zh-CN": "「{segment}」（{kind}，开播后 {at}）观众走得最快：{left}/{viewers} 人在这一环节离开，"
            "每分钟流失 {rate}，其他环节没有人离开",
            "en": "'{segment}' ({kind}, at {at}) lost viewers fastest: {left} of {viewers} left during it, "
            "{rate} a minute, while no other segment lost anyone",
        },
        "review.conclude.leaving_alone": {
            "zh-CN": "「{segment}」（{kind}，开播后 {at}）流失大：{left}/{viewers} 人在这一环节离开",
            "en": "'{segment}' ({kind}, at {at}) lost many viewers: {left} of {viewers} left during it",
        },
        "review.conclude.no_buy": {
            "zh-CN": "{product}点击多、成交少：{clickers} 人点了，只有 {buyers} 人买（转化 {conversion}，"
            "整场 {show_conversion}）",
            "en": "{product} drew clicks but few orders: {clickers} clicked, {buyers} bought (conversion "
            "{conversion}, show {show_conversion})",
        },
        "review.conclude.unused_coupon": {
            "zh-CN": "券「{coupon}」领了 {claimed} 张只用了 {used} 张（核销率 {rate}）",
            "en": "coupon '{coupon}': {claimed} claimed, only {used} used ({rate})",
        },
        "review.conclude.handed_over": {
            "zh-CN": "机器人转人工 {total} 次，最多的是：{questions}",
            "en": "the bot handed {total} questions to the team, most often: {questions}",
        },
        "review.conclude.question": {"zh-CN": "「{text}」×{count}", "en": "“{text}” ×{count}"},
        "review.conclude.late_cues": {
            "zh-CN": "{late} 个提示晚发、{missed} 个没发出：最晚的是 {cue}（{kind}，开播后 {at}）晚了 {seconds}",
            "en": "{late} cues fired late and {missed} never fired: the latest, {cue} ({kind}, at {at}), "
            "was {seconds} late",
        },
        "review.conclude.missed_cues": {
            "zh-CN": "{missed} 个提示没发出：{cues}",
            "en": "{missed} cues never fired: {cues}",
        },
        "review.conclude.stream_down": {
            "zh-CN": "推流中断 {count} 次共 {seconds}，最长一次在开播后 {at}（{segment}）",
            "en": "the stream went down {count} time(s), {seconds} in all; the longest at {at} ({segment})",
        },
        "review.conclude.stream_poor": {
            "zh-CN": "画质差共 {seconds}，最长一次在开播后 {at}（{segment}）：{detail}",
            "en": "poor picture for {seconds} in all; the longest at {at} ({segment}): {detail}",
        },
        "review.conclude.below_median": {
            "zh-CN": "{kpi} {value}，低于之前 {count} 场的中位数 {median}",
            "en": "{kpi} {value}, below the median of the {count} earlier shows ({median})",
        },
        "review.conclude.lottery_short": {
            "zh-CN": "福袋「{prize}」原定 {promised} 位只抽出 {winners} 位：{eligible}/{entrants} 位参与者符合条件",
            "en": "giveaway '{prize}': {promised} promised, {winners} drawn — {eligible} of {entrants} entrants eligible",
        },
        # good
        "review.conclude.kept_viewers": {
            "zh-CN": "「{segment}」（{kind}）留人最好：留存 {retention}，每分钟只流失 {rate}",
            "en": "'{segment}' ({kind}) kept viewers best: retention {retention}, {rate} lost a minute",
        },
        "review.conclude.best_product": {
            "zh-CN": "{product}卖得最好：{orders} 单，成交额 {gmv}，转化 {conversion}",
            "en": "{product} sold best: {orders} orders, {gmv}, conversion {conversion}",
        },
        "review.conclude.used_coupon": {
            "zh-CN": "券「{coupon}」用得好：领 {claimed} 张用了 {used} 张（{rate}）",
            "en": "coupon '{coupon}' worked: {claimed} claimed, {used} used ({rate})",
        },
        "review.conclude.proposals_sent": {
            "zh-CN": "机器人的建议 {sent}/{total} 条被团队直接发送",
            "en": "the team sent {sent} of the bot's {total} proposals as they were",
        },
        "review.conclude.proposals_edited": {
            "zh-CN": "机器人的建议有 {edited}/{total} 条被改写后才发出",
            "en": "{edited} of the bot's {total} proposals were edited before they were sent",
        },
        "review.conclude.fix_proposals": {
            "zh-CN": "把团队改写过的回答更新进 faq.yaml（liveroom faq gaps 列出了它们）",
            "en": "write the team's edited answers into faq.yaml (liveroom faq gaps lists them)",
        },
        "review.conclude.bot_answered": {
            "zh-CN": "机器人答了 {answered} 个问题，只转人工 {escalated} 个",
            "en": "the bot answered {answered} questions and handed over only {escalated}",
        },
        "review.conclude.cues_on_time": {
            "zh-CN": "{count} 个提示全部准时发出",
            "en": "all {count} cues fired on time",
        },
        "review.conclude.above_median": {
            "zh-CN": "{kpi} {value}，高于之前 {count} 场的中位数 {median}",
            "en": "{kpi} {value}, above the median of the {count} earlier shows ({median})",
        },
        # next show
        "review.conclude.fix_leaving": {
            "zh-CN": "「{segment}」：缩短这一环节，或把福袋/优惠券挪到它开头留人{example}",
            "en": "'{segment}': shorten it, or open a giveaway or coupon at its start to keep viewers{example}",
        },
        "review.conclude.like_best": {
            "zh-CN": "（参考「{segment}」的做法）",
            "en": " (as '{segment}' did)",
        },
        "review.conclude.fix_no_buy": {
            "zh-CN": "{product}：讲解时多讲价格锚点和卖点、配券或秒杀，再核对详情页价格是否与直播价一致",
            "en": "{product}: give the price anchor and selling points, pair it with a coupon or flash sale, "
            "and check the product page shows the live price",
        },
        "review.conclude.fix_coupon": {
            "zh-CN": "券「{coupon}」：下播前 10 分钟提醒用券，或把门槛降到大多数订单够得着",
            "en": "coupon '{coupon}': remind viewers to use it 10 minutes before the end, or lower its minimum spend",
        },
        "review.conclude.fix_faq": {
            "zh-CN": "把这些问题写进 faq.yaml：{questions}",
            "en": "add these questions to faq.yaml: {questions}",
        },
        "review.conclude.fix_cues": {
            "zh-CN": "提示晚发：开播前彩排一次（liveroom run --start 场次 --speed 6），看服务器负载和网络",
            "en": "late cues: rehearse once before the show (liveroom run --start SHOW --speed 6) and check "
            "the server's load and network",
        },
        "review.conclude.fix_stream": {
            "zh-CN": "推流：开播前测上行带宽（≥ 5 Mbps），准备备用网络（手机热点），liveroom preflight 检查",
            "en": "stream: test the upload (≥ 5 Mbps) before the show, keep a backup network ready, run "
            "liveroom preflight",
        },
        "review.conclude.fix_kpi": {
            "zh-CN": "{kpi}：对照之前做得好的场次，看是哪个环节拉低的",
            "en": "{kpi}: compare with the earlier shows that did better to find which segment pulled it down",
        },
        "review.conclude.fix_lottery": {
            "zh-CN": "福袋「{prize}」：条件放宽一点，或口令/按钮多提醒几次，让符合条件的人数够奖品数",
            "en": "giveaway '{prize}': ease its conditions or remind viewers more, so enough entrants qualify",
        },
    },
)

MIN_VIEWERS = 3  # a segment or product with fewer viewers says nothing
LEAVING_TIMES = 1.5  # the worst segment's loss a minute, against the others' median
LEAVING_ALONE = 0.4  # a single segment that lost this share of its viewers
LEAVING_SHARE = 0.15  # below this share of its viewers leaving, no segment is a problem
NO_BUY_CLICKERS = 3
NO_BUY_SHARE = 0.5  # a product converting at less than half the show's rate
UNUSED_SHARE = 0.3
USED_SHARE = 0.5
LATE_SECONDS = 10.0
HISTORY_RATE_PP = 0.02  # a rate at least 2 points …
HISTORY_RELATIVE = 0.10  # … and 10 % away from the median is worth a word
HISTORY_KPIS = (
    ("retention", "rate"),
    ("ctr", "rate"),
    ("conversion", "rate"),
    ("interaction_rate", "rate"),
    ("gmv_per_viewer", "money"),
    ("avg_watch_seconds", "seconds"),
)


@dataclass(frozen=True)
class Finding:
    """One line of the conclusions, with what it is about (`segment:warm`, `product:PAN-01`, `coupon:…`,
    `cue:…`, `stream`, `kpi:…`, `faq`) and the numbers it rests on."""

    text: str
    about: str
    numbers: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Conclusions:
    good: tuple[Finding, ...]
    problems: tuple[Finding, ...]
    next: tuple[Finding, ...]
    history: int  # how many earlier shows the medians came from


def conclude(
    review: ShowReview,
    lang: str = "zh-CN",
    names: Mapping[str, str] | None = None,
    money: str = "¥",
    earlier: Sequence[EarlierRun] = (),
) -> Conclusions:
    """The run's conclusions; `earlier` are the team's earlier shows (their KPIs' median is the bar)."""
    c = _Concluder(review, lang, names or {}, money)
    c.segments()
    c.products()
    c.coupons()
    c.lotteries()
    c.questions()
    c.proposals()
    c.cues()
    c.stream()
    c.against(earlier)
    return Conclusions(tuple(c.good), tuple(c.problems), tuple(c.next), len(_comparable(earlier)))


def _comparable(earlier: Sequence[EarlierRun]) -> list[EarlierRun]:
    return [run for run in earlier if run.show.unique_viewers > 0]


@dataclass
class _Concluder:
    review: ShowReview
    lang: str
    names: Mapping[str, str]
    money: str
    good: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    next: list[Finding] = field(default_factory=list)

    def _t(self, key: str, **params: object) -> str:
        return t(self.lang, f"review.conclude.{key}", **params)

    def _product(self, sku: str) -> str:
        name = self.names.get(sku)
        return f"{name}（{sku}）" if name and self.lang != "en" else f"{name} ({sku})" if name else sku

    def _segment_at(self, seconds: float) -> str:
        for s in self.review.segments:
            a = (s.window.start - self.review.start).total_seconds()
            b = (s.window.end - self.review.start).total_seconds()
            if a <= seconds < b:
                return s.window.title or s.window.id
        return "—"

    def _rate(self, value: float) -> str:
        return f"{value * 100:.1f}%"

    # -- 环节: where viewers left fastest, and where they stayed
    def segments(self) -> None:
        rates: list[tuple[float, SegmentKpis, int]] = []
        for s in self.review.segments:
            k = s.kpis
            if s.window.seconds <= 0 or k.unique_viewers < MIN_VIEWERS:
                continue
            left = k.unique_viewers - int(k.retention.numerator)
            minutes = max(s.window.seconds * self.review.speed / 60, 0.5)  # minutes of the script
            rates.append((left / k.unique_viewers / minutes, s, left))
        if not rates:
            return
        worst_rate, worst, left = max(rates, key=lambda item: item[0])
        others = [rate for rate, s, _ in rates if s is not worst]
        at = format_clock((worst.window.start - self.review.start).total_seconds())
        title = worst.window.title or worst.window.id
        best = min(rates, key=lambda item: item[0]) if len(rates) > 1 else None
        numbers = {"left": left, "viewers": worst.kpis.unique_viewers, "per_minute": round(worst_rate, 4)}
        said: dict[str, object] = {
            "segment": title,
            "kind": worst.window.kind,
            "at": at,
            "left": left,
            "viewers": worst.kpis.unique_viewers,
        }
        text: str | None = None
        if others:
            median = statistics.median(others)
            share = left / worst.kpis.unique_viewers
            if share >= LEAVING_SHARE and median == 0:
                text = self._t("leaving_only", rate=self._rate(worst_rate), **said)
            elif share >= LEAVING_SHARE and worst_rate >= LEAVING_TIMES * median:
                shown = {"rate": self._rate(worst_rate), "median": self._rate(median)}
                text = self._t("leaving", times=f"{worst_rate / median:.1f}", **shown, **said)
        elif left / worst.kpis.unique_viewers >= LEAVING_ALONE:
            text = self._t("leaving_alone", **said)
        flagged = text is not None
        if text is not None:
            self.problems.append(Finding(text, f"segment:{worst.window.id}", numbers))
        if best is not None and best[1] is not worst:
            rate, s, _ = best
            self.good.append(
                Finding(
                    self._t(
                        "kept_viewers",
                        segment=s.window.title or s.window.id,
                        kind=s.window.kind,
                        retention=format_cell(s.kpis.retention, "rate"),
                        rate=self._rate(rate),
                    ),
                    f"segment:{s.window.id}",
                    {"per_minute": round(rate, 4)},
                )
            )
        if flagged:
            example = (
                self._t("like_best", segment=best[1].window.title or best[1].window.id)
                if best is not None and best[1] is not worst
                else ""
            )
            self.next.append(
                Finding(self._t("fix_leaving", segment=title, example=example), f"segment:{worst.window.id}")
            )

    # -- 商品: clicked but not bought; the best seller
    def products(self) -> None:
        show = self.review.show.conversion.value
        for p in sorted(self.review.products, key=lambda p: -p.clickers):
            if p.clickers < NO_BUY_CLICKERS:
                continue
            if p.buyers == 0 or p.conversion.value < NO_BUY_SHARE * show:
                product = self._product(p.sku)
                text = self._t(
                    "no_buy",
                    product=product,
                    clickers=p.clickers,
                    buyers=p.buyers,
                    conversion=format_cell(p.conversion, "rate"),
                    show_conversion=format_cell(self.review.show.conversion, "rate"),
                )
                numbers = {
                    "clickers": p.clickers,
                    "buyers": p.buyers,
                    "conversion": round(p.conversion.value, 4),
                }
                self.problems.append(Finding(text, f"product:{p.sku}", numbers))
                self.next.append(Finding(self._t("fix_no_buy", product=product), f"product:{p.sku}"))
        sold = [p for p in self.review.products if p.orders > 0]
        if sold:
            best = max(sold, key=lambda p: (p.gmv, p.orders))
            self.good.append(
                Finding(
                    self._t(
                        "best_product",
                        product=self._product(best.sku),
                        orders=best.orders,
                        gmv=format_money(best.gmv, self.money),
                        conversion=format_cell(best.conversion, "rate"),
                    ),
                    f"product:{best.sku}",
                    {"orders": best.orders, "gmv": str(best.gmv)},
                )
            )

    # -- 优惠券: claimed but unused, or used well
    def coupons(self) -> None:
        for c in self.review.coupons:
            if c.claimed < MIN_VIEWERS:
                continue
            share = c.used / c.claimed
            title = c.title or c.coupon_id
            rate = format_cell(Ratio(c.used, c.claimed), "rate")
            if share < UNUSED_SHARE:
                text = self._t("unused_coupon", coupon=title, claimed=c.claimed, used=c.used, rate=rate)
                self.problems.append(
                    Finding(text, f"coupon:{c.coupon_id}", {"claimed": c.claimed, "used": c.used})
                )
                self.next.append(Finding(self._t("fix_coupon", coupon=title), f"coupon:{c.coupon_id}"))
            elif share >= USED_SHARE:
                text = self._t("used_coupon", coupon=title, claimed=c.claimed, used=c.used, rate=rate)
                self.good.append(
                    Finding(text, f"coupon:{c.coupon_id}", {"claimed": c.claimed, "used": c.used})
                )

    def lotteries(self) -> None:
        for x in self.review.lotteries:
            if not x.short:
                continue
            text = self._t(
                "lottery_short",
                prize=x.prize or x.lottery_id,
                promised=x.promised,
                winners=x.winners,
                eligible=x.eligible,
                entrants=x.entrants,
            )
            numbers = {"promised": x.promised, "winners": x.winners, "eligible": x.eligible or 0}
            self.problems.append(Finding(text, f"lottery:{x.lottery_id}", numbers))
            self.next.append(
                Finding(self._t("fix_lottery", prize=x.prize or x.lottery_id), f"lottery:{x.lottery_id}")
            )

    # -- 机器人: what it handed over most
    def questions(self) -> None:
        bot = self.review.show.bot
        handed = self.review.handed_over
        if handed and bot.escalated >= 2:
            top = [self._t("question", text=text, count=count) for text, count in handed[:3]]
            self.problems.append(
                Finding(
                    self._t("handed_over", total=bot.escalated, questions=join_words(top, self.lang)),
                    "faq",
                    {"escalated": bot.escalated},
                )
            )
            quoted = join_words(
                [f"「{text}」" if self.lang != "en" else f"“{text}”" for text, _ in handed[:3]], self.lang
            )
            self.next.append(Finding(self._t("fix_faq", questions=quoted), "faq"))
        elif bot.answered >= 3:
            self.good.append(
                Finding(
                    self._t("bot_answered", answered=bot.answered, escalated=bot.escalated),
                    "faq",
                    {"answered": bot.answered, "escalated": bot.escalated},
                )
            )

    # -- 机器人的建议: sent as they were, or edited
    def proposals(self) -> None:
        bot = self.review.show.bot
        total = bot.suggested_sent + bot.suggested_edited
        if total < 3:
            return
        numbers = {"sent": bot.suggested_sent, "edited": bot.suggested_edited, "total": total}
        if bot.suggested_sent >= 0.7 * total:
            self.good.append(
                Finding(self._t("proposals_sent", sent=bot.suggested_sent, total=total), "faq", numbers)
            )
        elif bot.suggested_edited >= 0.5 * total:
            text = self._t("proposals_edited", edited=bot.suggested_edited, total=total)
            self.problems.append(Finding(text, "faq", numbers))
            self.next.append(Finding(self._t("fix_proposals"), "faq"))

    # -- 提示: late or missed
    def cues(self) -> None:
        # A `repeat` waits for chat by design (min_chat_lines): posting after its slot is not lateness.
        marks = tuple(c for c in self.review.cues if c.kind != "repeat")
        if not marks:
            return
        late = [c for c in marks if not c.missed and (c.marked_late or c.late >= LATE_SECONDS)]
        missed = [c for c in marks if c.missed]
        if late:
            worst = max(late, key=lambda c: c.late)
            text = self._t(
                "late_cues",
                late=len(late),
                missed=len(missed),
                cue=worst.cue_id,
                kind=worst.kind,
                at=format_clock(worst.offset),
                seconds=format_seconds(worst.late),
            )
            numbers = {"late": len(late), "missed": len(missed), "latest_seconds": round(worst.late, 1)}
            self.problems.append(Finding(text, f"cue:{worst.cue_id}", numbers))
        elif missed:
            cues = join_words([c.cue_id for c in missed[:5]], self.lang)
            self.problems.append(
                Finding(self._t("missed_cues", missed=len(missed), cues=cues), f"cue:{missed[0].cue_id}")
            )
        else:
            self.good.append(Finding(self._t("cues_on_time", count=len(marks)), "cues", {"cues": len(marks)}))
        if late or missed:
            self.next.append(Finding(self._t("fix_cues"), "cues"))

    # -- 推流: down or poor
    def stream(self) -> None:
        issues = self.review.stream_issues
        found = False
        for kind in ("down", "quality"):
            mine = [i for i in issues if i.kind == kind]
            if not mine:
                continue
            found = True
            total = sum(i.end - i.start for i in mine)
            longest = max(mine, key=lambda i: i.end - i.start)
            params: dict[str, object] = {
                "count": len(mine),
                "seconds": format_seconds(total),
                "at": format_clock(longest.start),
                "segment": self._segment_at(longest.start),
            }
            if kind == "down":
                text = self._t("stream_down", **params)
            else:
                text = self._t("stream_poor", detail=longest.detail or "—", **params)
            numbers = {"count": len(mine), "seconds": round(total, 1)}
            self.problems.append(Finding(text, "stream", numbers))
        if found:
            self.next.append(Finding(self._t("fix_stream"), "stream"))

    def _like_length(self, run: EarlierRun) -> bool:
        """Watch time compares only between runs of one speed and about one length (±25 %)."""
        mine = self.review.seconds
        return run.speed == self.review.speed and mine > 0 and abs(run.seconds - mine) <= 0.25 * mine

    # -- against the team's earlier shows
    def against(self, earlier: Sequence[EarlierRun]) -> None:
        runs = _comparable(earlier)
        if not runs:
            return
        for key, unit in HISTORY_KPIS:
            pool = [r for r in runs if key != "avg_watch_seconds" or self._like_length(r)]
            if not pool:
                continue
            value = _number(kpi_value(self.review.show, key), unit)
            median = statistics.median(_number(kpi_value(r.show, key), unit) for r in pool)
            diff = value - median
            if median == 0 and value == 0:
                continue
            relative = abs(diff) / abs(median) if median else 1.0
            if relative < HISTORY_RELATIVE or (unit == "rate" and abs(diff) < HISTORY_RATE_PP):
                continue
            label = t(self.lang, f"review.kpi.{key}")
            params = {
                "kpi": label,
                "value": _show(value, unit, self.money),
                "median": _show(median, unit, self.money),
                "count": len(pool),
            }
            numbers = {"value": round(value, 4), "median": round(median, 4), "earlier": len(pool)}
            if diff < 0:
                self.problems.append(Finding(self._t("below_median", **params), f"kpi:{key}", numbers))
                self.next.append(Finding(self._t("fix_kpi", kpi=label), f"kpi:{key}"))
            else:
                self.good.append(Finding(self._t("above_median", **params), f"kpi:{key}", numbers))


def _number(cell: object, unit: str) -> float:
    if isinstance(cell, Ratio):
        return float(cell.money()) if unit == "money" else cell.value
    if isinstance(cell, int | float | Decimal):
        return float(cell)
    return 0.0


def _show(value: float, unit: str, money: str) -> str:
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "money":
        return format_money(Decimal(str(value)), money)
    return format_seconds(value)


def basis(conclusions: Conclusions, lang: str) -> str:
    """What the conclusions rest on, in one sentence."""
    history = (
        t(lang, "review.conclude.basis_history", count=conclusions.history) if conclusions.history else ""
    )
    return t(lang, "review.conclude.basis", history=history)
