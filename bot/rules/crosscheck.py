"""Checks across rule files: references exist, ids are unique, the show's timeline holds together."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.rules.durations import format_duration
from bot.rules.errors import RuleError
from bot.rules.models import ContingencyPlan, Coupon, FaqEntry, Product, RoomFile, ShowScript, WinnerOf
from bot.rules.source import Path_, SourceFile
from media.hub.moderation import blocked_word
from media.i18n import CATALOGUE

CATALOGUE.add(
    "rules.check",
    {
        "rules.check.duplicate_id": {
            "zh-CN": "重复的编号“{value}”（第 {first} 行已经用过）",
            "en": "duplicate id '{value}' (already used on line {first})",
        },
        "rules.check.unknown_sku": {
            "zh-CN": "商品“{value}”不存在：products.yaml 里没有这个 sku",
            "en": "unknown product '{value}': no such sku in products.yaml",
        },
        "rules.check.unknown_sku_suggest": {
            "zh-CN": "商品“{value}”不存在：products.yaml 里没有这个 sku，是不是“{name}”？",
            "en": "unknown product '{value}': no such sku in products.yaml; did you mean '{name}'?",
        },
        "rules.check.unknown_coupon": {
            "zh-CN": "优惠券“{value}”不存在：coupons.yaml 里没有这个 id",
            "en": "unknown coupon '{value}': no such id in coupons.yaml",
        },
        "rules.check.unknown_coupon_suggest": {
            "zh-CN": "优惠券“{value}”不存在：coupons.yaml 里没有这个 id，是不是“{name}”？",
            "en": "unknown coupon '{value}': no such id in coupons.yaml; did you mean '{name}'?",
        },
        "rules.check.unknown_vote": {
            "zh-CN": "投票“{value}”不存在：这场直播里没有这个投票 id",
            "en": "unknown vote '{value}': no vote with this id in this show",
        },
        "rules.check.cue_outside_segment": {
            "zh-CN": "提示时间 {at} 超出了环节时长 {duration}（应在 00:00 到环节结束之间）",
            "en": "cue time {at} is outside the segment's duration {duration}",
        },
        "rules.check.segment_overlap": {
            "zh-CN": "环节“{segment}”从 {start} 开始，与上一个环节“{previous}”（到 {previous_end} 结束）重叠",
            "en": "segment '{segment}' starts at {start}, overlapping '{previous}' which ends at {previous_end}",
        },
        "rules.check.winner_before_close": {
            "zh-CN": "投票“{vote}”在 {closes} 才结束，不能在 {used} 使用它的结果",
            "en": "vote '{vote}' closes at {closes}; its winner cannot be used at {used}",
        },
        "rules.check.repeat_until": {
            "zh-CN": "until {until} 应在提示时间之后、环节结束之前（环节时长 {duration}）",
            "en": "until {until} must be after the cue and within the segment ({duration})",
        },
        "rules.check.show_file_name": {
            "zh-CN": "文件名“{value}”不能作为直播编号：只能用小写字母、数字和 -",
            "en": "file name '{value}' is not a valid show id: use lowercase letters, digits and '-'",
        },
        "rules.check.playback_hls_without_source": {
            "zh-CN": "playback.via 是 hls，但没有 HLS 来源：打开 room.yaml 的 hls，或填写 playback.hls_url（CDN 地址）",
            "en": "playback.via is hls but there is no HLS source: turn on room.yaml `hls`, "
            "or give playback.hls_url (a CDN's playlist URL)",
        },
        "rules.check.faq_question_duplicate": {
            "zh-CN": "示例问题“{value}”已在 FAQ“{other}”中出现，机器人无法区分",
            "en": "example question '{value}' also appears in FAQ '{other}'; the bot cannot tell them apart",
        },
        "rules.check.blocked_word_in_bot_text": {
            "zh-CN": "机器人要发的话里有违禁词“{word}”（room.yaml moderation.blocked_words），直播间不会发出",
            "en": "the bot's text contains the blocked word '{word}' (room.yaml moderation.blocked_words); "
            "the room would not post it",
        },
        "rules.check.unknown_tag": {
            "zh-CN": "标签“{value}”在 faq.yaml 里没有条目用过",
            "en": "tag '{value}' is not used by any entry in faq.yaml",
        },
        "rules.check.unknown_tag_suggest": {
            "zh-CN": "标签“{value}”在 faq.yaml 里没有条目用过，是不是“{name}”？",
            "en": "tag '{value}' is not used by any entry in faq.yaml; did you mean '{name}'?",
        },
    },
)

_COUPON_PLACEHOLDER = re.compile(r"\{coupon:([^}]*)\}")


class Checker:
    """Collects problems with their file and line."""

    def __init__(self) -> None:
        self.errors: list[RuleError] = []

    def add(self, source: SourceFile, path: Path_, code: str, **params: Any) -> None:
        self.errors.append(RuleError(source.name, source.line(path), _key(path), code, params))

    def unique(self, source: SourceFile, items: Iterable[tuple[Path_, str]]) -> None:
        first: dict[str, int] = {}
        for path, value in items:
            line = source.line(path)
            if value in first:
                self.add(source, path, "check.duplicate_id", value=value, first=first[value])
            else:
                first[value] = line


def _key(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unknown(
    checker: Checker, source: SourceFile, path: Path_, what: str, value: str, known: Sequence[str]
) -> None:
    """An unknown sku or coupon id, with the closest known one when there is one."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.5)
    if close:
        checker.add(source, path, f"check.unknown_{what}_suggest", value=value, name=close[0])
    else:
        checker.add(source, path, f"check.unknown_{what}", value=value)


def check_room(checker: Checker, room: RoomFile, source: SourceFile) -> None:
    """What one room.yaml key needs of another."""
    if room.playback.via == "hls" and room.hls is None and room.playback.hls_url is None:
        checker.add(source, ("playback", "via"), "check.playback_hls_without_source")


def check_autonomy(checker: Checker, room: RoomFile, source: SourceFile, faq: Sequence[FaqEntry]) -> None:
    """`bot.autonomy.tags` name tags the FAQ uses: a misspelt one would leave its entries on `auto`."""
    used = sorted({tag for entry in faq for tag in entry.tags})
    for tag in room.bot.autonomy.tags:
        if tag not in used:
            _unknown(checker, source, ("bot", "autonomy", "tags", tag), "tag", tag, used)


def check_bot_texts(
    checker: Checker,
    room: RoomFile,
    faq_src: SourceFile | None,
    faq: Sequence[FaqEntry],
    shows: dict[str, tuple[SourceFile, ShowScript]],
) -> None:
    """What the bot will say — FAQ answers, the show's `say` cues — must pass the room's blocked words,
    or the room refuses it mid-show (media/hub/chat.py)."""
    words = room.moderation.blocked_words
    if not words:
        return
    if faq_src is not None:
        for i, entry in enumerate(faq):
            if (word := blocked_word(entry.a, words)) is not None:
                checker.add(faq_src, (i, "a"), "check.blocked_word_in_bot_text", word=word)
    for source, show in shows.values():
        for s, segment in enumerate(show.segments):
            for c, cue in enumerate(segment.cues):
                if cue.say is not None and (word := blocked_word(cue.say, words)) is not None:
                    path: Path_ = ("segments", s, "cues", c, "say")
                    checker.add(source, path, "check.blocked_word_in_bot_text", word=word)


def check_catalogue(
    checker: Checker,
    products: tuple[Product, ...],
    products_src: SourceFile | None,
    faq: tuple[FaqEntry, ...],
    faq_src: SourceFile | None,
    coupons: tuple[Coupon, ...],
    coupons_src: SourceFile | None,
    skus: Sequence[str],
) -> None:
    if products_src is not None:
        checker.unique(products_src, (((i, "sku"), p.sku) for i, p in enumerate(products)))
    if coupons_src is not None:
        checker.unique(coupons_src, (((i, "id"), c.id) for i, c in enumerate(coupons)))
    if faq_src is not None:
        checker.unique(faq_src, (((i, "id"), e.id) for i, e in enumerate(faq)))
        seen_questions: dict[tuple[str | None, str], str] = {}
        for i, entry in enumerate(faq):
            if entry.product is not None and entry.product not in skus:
                _unknown(checker, faq_src, (i, "product"), "sku", entry.product, skus)
            for j, question in enumerate(entry.q):
                mark = (entry.product, question.strip())
                other = seen_questions.get(mark)
                if other is not None and other != entry.id:
                    # `q` as loaded holds the learned wordings after the written ones.
                    learned = j - entry.written
                    path: Path_ = (
                        (i, "q", j) if learned < 0 else (i, "learned", entry.learned.index(question))
                    )
                    checker.add(faq_src, path, "check.faq_question_duplicate", value=question, other=other)
                else:
                    seen_questions[mark] = entry.id


def check_show(
    checker: Checker,
    source: SourceFile,
    show: ShowScript,
    skus: Sequence[str],
    coupon_ids: Sequence[str],
) -> None:
    starts = show.segment_starts()
    for key in ("prices", "targets"):
        for promised in getattr(show, key):
            if promised not in skus:
                _unknown(checker, source, (key, promised), "sku", promised, skus)
    checker.unique(source, ((("segments", i, "id"), s.id) for i, s in enumerate(show.segments)))
    segment_id_count: dict[str, int] = {}
    for segment in show.segments:
        segment_id_count[segment.id] = segment_id_count.get(segment.id, 0) + 1

    # Segments in time order, not overlapping.
    for i in range(1, len(show.segments)):
        previous_end = starts[i - 1] + show.segments[i - 1].duration
        if starts[i] < previous_end - 1e-9:
            path: Path_ = ("segments", i, "at") if show.segments[i].at is not None else ("segments", i)
            checker.add(
                source,
                path,
                "check.segment_overlap",
                segment=show.segments[i].id,
                start=format_duration(starts[i]),
                previous=show.segments[i - 1].id,
                previous_end=format_duration(previous_end),
            )

    # Cue ids, vote/lottery ids unique; votes known with their closing time.
    cue_ids: list[tuple[Path_, str]] = []
    vote_closes: dict[str, float] = {}
    vote_ids: list[tuple[Path_, str]] = []
    lottery_ids: list[tuple[Path_, str]] = []
    for si, segment in enumerate(show.segments):
        for ci, cue in enumerate(segment.cues):
            path = ("segments", si, "cues", ci)
            if cue.id is not None:
                cue_ids.append(((*path, "id"), cue.id))
            elif segment_id_count[segment.id] == 1:  # a duplicate segment id is reported once, above
                cue_ids.append((path, f"{segment.id}-{ci + 1}"))
            if cue.vote is not None:
                vote_closes[cue.vote.id] = starts[si] + cue.at + cue.vote.duration
                vote_ids.append(((*path, "vote", "id"), cue.vote.id))
            if cue.lottery is not None:
                lottery_ids.append(((*path, "lottery", "id"), cue.lottery.id))
    checker.unique(source, cue_ids)
    checker.unique(source, vote_ids)
    checker.unique(source, lottery_ids)

    def product_ref(ref: object, path: Path_, used_at: float) -> None:
        if isinstance(ref, WinnerOf):
            closes = vote_closes.get(ref.winner_of)
            if closes is None:
                checker.add(source, (*path, "winner_of"), "check.unknown_vote", value=ref.winner_of)
            elif used_at < closes - 1e-9:
                checker.add(
                    source,
                    (*path, "winner_of"),
                    "check.winner_before_close",
                    vote=ref.winner_of,
                    closes=format_duration(closes),
                    used=format_duration(used_at),
                )
        elif isinstance(ref, str) and ref not in skus:
            _unknown(checker, source, path, "sku", ref, skus)

    for si, segment in enumerate(show.segments):
        if segment.product is not None:
            product_ref(segment.product, ("segments", si, "product"), starts[si])
        for ci, cue in enumerate(segment.cues):
            path = ("segments", si, "cues", ci)
            if cue.at >= segment.duration:
                checker.add(
                    source,
                    (*path, "at"),
                    "check.cue_outside_segment",
                    at=format_duration(cue.at),
                    duration=format_duration(segment.duration),
                )
            used_at = starts[si] + cue.at
            if cue.pin is not None:
                product_ref(cue.pin, (*path, "pin"), used_at)
            if cue.coupon is not None and cue.coupon not in coupon_ids:
                _unknown(checker, source, (*path, "coupon"), "coupon", cue.coupon, coupon_ids)
            if cue.say is not None:
                for ref in _COUPON_PLACEHOLDER.findall(cue.say):
                    if ref not in coupon_ids:
                        _unknown(checker, source, (*path, "say"), "coupon", ref, coupon_ids)
            if cue.vote is not None:
                for oi, option in enumerate(cue.vote.options):
                    sku = getattr(option, "product", None)
                    if sku is not None and sku not in skus:
                        _unknown(checker, source, (*path, "vote", "options", oi, "product"), "sku", sku, skus)
            if cue.countdown is not None and cue.countdown.product is not None:
                if cue.countdown.product not in skus:
                    _unknown(
                        checker, source, (*path, "countdown", "product"), "sku", cue.countdown.product, skus
                    )
            if cue.repeat is not None and cue.repeat.until is not None:
                if not cue.at < cue.repeat.until <= segment.duration:
                    checker.add(
                        source,
                        (*path, "repeat", "until"),
                        "check.repeat_until",
                        until=format_duration(cue.repeat.until),
                        duration=format_duration(segment.duration),
                    )


def check_contingency(
    checker: Checker,
    source: SourceFile,
    plans: Sequence[ContingencyPlan],
    skus: Sequence[str],
    coupon_ids: Sequence[str],
) -> None:
    checker.unique(source, (((i, "id"), p.id) for i, p in enumerate(plans)))
    for i, plan in enumerate(plans):
        when = plan.when
        if when.coupon_sold_out is not None and when.coupon_sold_out.coupon is not None:
            if when.coupon_sold_out.coupon not in coupon_ids:
                _unknown(
                    checker,
                    source,
                    (i, "when", "coupon_sold_out", "coupon"),
                    "coupon",
                    when.coupon_sold_out.coupon,
                    coupon_ids,
                )
        if when.product_out_of_stock is not None and when.product_out_of_stock.product is not None:
            if when.product_out_of_stock.product not in skus:
                _unknown(
                    checker,
                    source,
                    (i, "when", "product_out_of_stock", "product"),
                    "sku",
                    when.product_out_of_stock.product,
                    skus,
                )
        for j, action in enumerate(plan.do):
            path = (i, "do", j)
            if action.pin is not None and action.pin not in skus:
                _unknown(checker, source, (*path, "pin"), "sku", action.pin, skus)
            if action.coupon is not None and action.coupon not in coupon_ids:
                _unknown(checker, source, (*path, "coupon"), "coupon", action.coupon, coupon_ids)
            if action.say is not None:
                for ref in _COUPON_PLACEHOLDER.findall(action.say):
                    if ref not in coupon_ids:
                        _unknown(checker, source, (*path, "say"), "coupon", ref, coupon_ids)
            if action.countdown is not None and action.countdown.product is not None:
                if action.countdown.product not in skus:
                    _unknown(
                        checker,
                        source,
                        (*path, "countdown", "product"),
                        "sku",
                        action.countdown.product,
                        skus,
                    )
            if action.vote is not None:
                for oi, option in enumerate(action.vote.options):
                    sku = getattr(option, "product", None)
                    if sku is not None and sku not in skus:
                        _unknown(checker, source, (*path, "vote", "options", oi, "product"), "sku", sku, skus)
