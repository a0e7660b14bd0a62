"""Each firing of a run in words, for the studio's timeline and the host's next cue: what it will say or
do, with its text filled for the product of its segment (a vote's winner once the vote has chosen it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.plan.words import describe
from bot.rules.models import Product, Rulebook, ShowScript, WinnerOf
from bot.show.plan import Firing, show_product
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "show.words",
    {
        "show.words.segment": {"zh-CN": "环节开始：{title}", "en": "segment starts: {title}"},
        "show.words.segment_product": {
            "zh-CN": "环节开始：{title}（挂讲解卡 {product}）",
            "en": "segment starts: {title} (pins {product})",
        },
        "show.words.close": {"zh-CN": "投票截止并揭晓：“{question}”", "en": "vote closes: “{question}”"},
        "show.words.draw": {"zh-CN": "福袋开奖：{prize}", "en": "giveaway drawn: {prize}"},
        "show.words.end": {"zh-CN": "下播", "en": "the show ends"},
    },
)

Winner = Callable[[str], Awaitable[str | None]]  # vote id -> the sku it chose, None while undecided


async def segment_product(
    rulebook: Rulebook, script: ShowScript, index: int, winner: Winner
) -> tuple[Product | None, str | None]:
    """The product a segment's texts speak of, as the show sells it; or, while its vote is still
    open, the vote that will choose it."""
    if index < 0:
        return None, None
    ref = script.segments[index].product
    if isinstance(ref, WinnerOf):
        sku = await winner(ref.winner_of)
        return (show_product(rulebook, script, sku), None) if sku else (None, ref.winner_of)
    return show_product(rulebook, script, ref), None


async def firing_text(f: Firing, rulebook: Rulebook, script: ShowScript, winner: Winner) -> str:
    """What a firing says or does, in the room's language, never with a raw `{placeholder}`."""
    lang = rulebook.room.language
    product, winner_of = await segment_product(rulebook, script, f.segment_index, winner)
    if f.action == "segment":
        segment = script.segments[f.segment_index]
        title = segment.title or segment.id
        if product is not None:
            return t(lang, "show.words.segment_product", title=title, product=product.name)
        return t(lang, "show.words.segment", title=title)
    if f.action == "end":
        return t(lang, "show.words.end")
    cue = f.scheduled.cue if f.scheduled is not None else None
    if cue is None:
        return f.cue_id
    if f.action == "close" and cue.vote is not None:
        return t(lang, "show.words.close", question=cue.vote.question)
    if f.action == "draw" and cue.lottery is not None:
        return t(lang, "show.words.draw", prize=cue.lottery.prize)
    return describe(cue, rulebook, lang, product, winner_of)
