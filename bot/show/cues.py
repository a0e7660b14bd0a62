"""What each firing does in the room, through `RoomActions` (the room hub's operator API).

Every room message a firing causes carries its stable cue id. Durations the room counts
itself (vote, lottery window, coupon validity, countdown, watch time) are converted from
show time to real time, so a rehearsal at `--speed 60` keeps the script's proportions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.rules.models import Rulebook, ShowScript
from bot.show import runs
from bot.show.clock import ShowClock
from bot.show.plan import Firing, render, show_product, vote_options, vote_specs, winner_sku
from media.hub.events import RoomEvent
from media.hub.protocol import (
    ChatLine,
    Countdown,
    CouponOut,
    LotteryOpened,
    LotteryResult,
    Pinned,
    VoteClosed,
    VoteOpened,
)
from media.i18n import CATALOGUE, t
from media.store.db import Database

CATALOGUE.add(
    "show",
    {
        "show.lottery.rules": {
            "zh-CN": "福袋规则：奖品「{prize}」，抽 {winners} 位；参与：{how}；条件：{conditions}；"
            "{window}后开奖，由公开种子（哈希 {hash}…）对参与者排序抽取，开奖后公布种子，人人可复核。",
            "en": "Giveaway rules: prize \u201c{prize}\u201d, {winners} winner(s); enter: {how}; conditions: "
            "{conditions}; drawn in {window} from a seed published as hash {hash}… over the sorted "
            "entrants; the seed is shown with the result so anyone can check.",
        },
        "show.lottery.how_keyword": {
            "zh-CN": "在评论区发送口令「{keyword}」",
            "en": "type \u201c{keyword}\u201d in chat",
        },
        "show.lottery.how_button": {"zh-CN": "点福袋按钮", "en": "tap the giveaway button"},
        "show.lottery.none": {"zh-CN": "无", "en": "none"},
        "show.lottery.watch": {"zh-CN": "观看满 {duration}", "en": "watched {duration}"},
        "show.lottery.present": {"zh-CN": "开奖时在直播间", "en": "in the room at the draw"},
        "show.lottery.claimed_coupon": {"zh-CN": "领过优惠券", "en": "claimed a coupon"},
        "show.lottery.clicked_product": {"zh-CN": "点过商品", "en": "clicked a product"},
        "show.lottery.winners": {
            "zh-CN": "🎉 福袋「{prize}」开奖：恭喜 {names}！开奖种子 {seed}… 已公布，可复核。",
            "en": "🎉 Giveaway \u201c{prize}\u201d drawn: congratulations {names}! Seed {seed}… published for checking.",
        },
        "show.lottery.nobody": {
            "zh-CN": "福袋「{prize}」开奖：本轮没有符合条件的参与者。",
            "en": "Giveaway \u201c{prize}\u201d: nobody met the conditions this time.",
        },
        "show.duration.minutes": {"zh-CN": "{m} 分钟", "en": "{m} min"},
        "show.duration.seconds": {"zh-CN": "{s} 秒", "en": "{s} s"},
        "show.duration.both": {"zh-CN": "{m} 分 {s} 秒", "en": "{m} min {s} s"},
    },
)


class RoomActions(Protocol):
    """The room operations a show needs (the room hub has them all); each returns what it did."""

    async def say(self, room_id: str, text: str, *, cue: str | None = None) -> ChatLine: ...

    async def pin_product(self, room_id: str, sku: str | None, cue: str | None = None) -> Pinned: ...

    async def push_coupon(
        self, room_id: str, coupon: dict[str, Any], cue: str | None = None
    ) -> CouponOut: ...

    async def open_vote(
        self,
        room_id: str,
        vote_id: str,
        question: str,
        options: list[str],
        duration_s: float,
        allow_change: bool = False,
        cue: str | None = None,
    ) -> VoteOpened: ...

    async def close_vote(self, room_id: str, vote_id: str, cue: str | None = None) -> VoteClosed: ...

    async def open_lottery(
        self,
        room_id: str,
        lottery_id: str,
        prize: str,
        winners: int,
        keyword: str | None,
        window_s: float,
        eligibility: dict[str, Any] | None = None,
        prize_value: float | None = None,
        cue: str | None = None,
    ) -> LotteryOpened: ...

    async def draw_lottery(self, room_id: str, lottery_id: str, cue: str | None = None) -> LotteryResult: ...

    async def start_countdown(
        self,
        room_id: str,
        title: str,
        duration_s: float,
        sku: str | None = None,
        stock: int | None = None,
        cue: str | None = None,
    ) -> Countdown: ...

    async def set_run(self, room_id: str, run_id: int | None) -> None: ...

    def subscribe(self, listener: Callable[[RoomEvent], Awaitable[None] | None]) -> Any: ...

    def announce(self, *events: RoomEvent) -> None:
        """Tell the room's listeners about events the show wrote in its own transactions."""


class CueProblem(Exception):
    """A cue that cannot act as written (an unknown coupon, an undecided vote…)."""


def duration_words(lang: str, seconds: float) -> str:
    total = max(0, round(seconds))
    m, s = divmod(total, 60)
    if m and s:
        return t(lang, "show.duration.both", m=m, s=s)
    if m:
        return t(lang, "show.duration.minutes", m=m)
    return t(lang, "show.duration.seconds", s=s)


@dataclass
class CueContext:
    """Everything a firing needs to act."""

    actions: RoomActions
    db: Database
    room_id: str
    run_id: int
    rulebook: Rulebook
    script: ShowScript
    clock: ShowClock
    now: float
    winner: Callable[[str], Awaitable[str | None]]  # vote id -> the sku it chose
    close_margin: float = 1.0

    @property
    def lang(self) -> str:
        return self.rulebook.room.language

    def real_until(self, offset: float) -> float:
        """Real seconds from now until the show reaches `offset` (at least a moment)."""
        return max(0.05, self.clock.real_time(offset) - self.now)


async def segment_sku(ctx: CueContext, f: Firing) -> str | None:
    index = f.segment_index
    if index < 0:
        return None
    ref = ctx.script.segments[index].product
    if ref is None:
        return None
    if isinstance(ref, str):
        return ref
    return await ctx.winner(ref.winner_of)


async def perform(ctx: CueContext, f: Firing) -> dict[str, Any]:
    """Do the firing's room actions; returns details to record with it."""
    if f.action == "segment":
        sku = await segment_sku(ctx, f)
        if sku is not None:
            await ctx.actions.pin_product(ctx.room_id, sku, cue=f.cue_id)
        return {"product": sku}
    sc = f.scheduled
    if sc is None:
        return {}
    cue, cue_id = sc.cue, sc.id
    if f.action == "close" and cue.vote is not None:
        closed = await ctx.actions.close_vote(ctx.room_id, cue.vote.id, cue=cue_id)
        return {"winner": winner_sku(cue.vote, closed.winner)}
    if f.action == "draw" and cue.lottery is not None:
        result = await ctx.actions.draw_lottery(ctx.room_id, cue.lottery.id, cue=cue_id)
        if result.winners:
            text = t(
                ctx.lang,
                "show.lottery.winners",
                prize=cue.lottery.prize,
                names="、".join(w.nickname for w in result.winners),
                seed=result.seed[:12],
            )
            if result.short_note:  # fewer eligible entrants than prizes: say so, not just fewer names
                text = f"{text}{'' if ctx.lang != 'en' else ' '}{result.short_note}"
        else:
            text = t(ctx.lang, "show.lottery.nobody", prize=cue.lottery.prize)
        await ctx.actions.say(ctx.room_id, text, cue=cue_id)
        return {"draw_id": result.draw_id, "winners": len(result.winners), "promised": result.promised}
    product = show_product(ctx.rulebook, ctx.script, await segment_sku(ctx, f))
    if cue.say is not None or (f.action == "repeat" and cue.repeat is not None):
        text = cue.say if cue.say is not None else cue.repeat.text if cue.repeat else ""
        await ctx.actions.say(ctx.room_id, render(text, product, ctx.rulebook), cue=cue_id)
        return {}
    if cue.pin is not None:
        sku = cue.pin if isinstance(cue.pin, str) else await ctx.winner(cue.pin.winner_of)
        if sku is None:
            raise CueProblem("vote_undecided")
        await ctx.actions.pin_product(ctx.room_id, sku, cue=cue_id)
        return {"product": sku}
    if cue.coupon is not None:
        coupon = ctx.rulebook.coupon(cue.coupon)
        if coupon is None:
            raise CueProblem(f"unknown_coupon:{cue.coupon}")
        spec: dict[str, Any] = {
            "id": coupon.id,
            "title": coupon.title,
            "link": coupon.link,
            "discount": f"{coupon.discount:g}",
            "quantity": coupon.quantity,
            "valid_minutes": ctx.clock.real_seconds(coupon.valid_minutes * 60) / 60
            if coupon.valid_minutes
            else None,
        }
        await ctx.actions.push_coupon(ctx.room_id, spec, cue=cue_id)
        return {"coupon": coupon.id}
    if cue.vote is not None:
        vote = cue.vote
        await ctx.actions.open_vote(
            ctx.room_id,
            vote.id,
            vote.question,
            vote_options(vote, ctx.rulebook),
            ctx.real_until(f.offset + vote.duration) + ctx.close_margin,
            vote.allow_change,
            cue=cue_id,
        )
        return {"vote": vote.id}
    if cue.lottery is not None:
        return await _open_lottery(ctx, f, cue_id)
    if cue.countdown is not None:
        cd = cue.countdown
        await ctx.actions.start_countdown(
            ctx.room_id, cd.title, ctx.clock.real_seconds(cd.duration), cd.product, cd.stock, cue=cue_id
        )
        return {}
    return {}


async def _open_lottery(ctx: CueContext, f: Firing, cue_id: str) -> dict[str, Any]:
    assert f.scheduled is not None and f.scheduled.cue.lottery is not None
    lot = f.scheduled.cue.lottery
    rules = lot.eligibility
    eligibility = {
        "min_watch_seconds": ctx.clock.real_seconds(rules.min_watch_seconds),
        "present": rules.present,
        "require": list(rules.require),
    }
    opened = await ctx.actions.open_lottery(
        ctx.room_id,
        lot.id,
        lot.prize,
        lot.winners,
        lot.keyword,
        ctx.real_until(f.offset + lot.window) + ctx.close_margin,
        eligibility,
        lot.prize_value,
        cue=cue_id,
    )
    lang = ctx.lang
    conditions = []
    if rules.min_watch_seconds:
        conditions.append(
            t(lang, "show.lottery.watch", duration=duration_words(lang, rules.min_watch_seconds))
        )
    if rules.present:
        conditions.append(t(lang, "show.lottery.present"))
    conditions += [t(lang, f"show.lottery.{need}") for need in rules.require]
    how = (
        t(lang, "show.lottery.how_keyword", keyword=lot.keyword)
        if lot.keyword
        else t(lang, "show.lottery.how_button")
    )
    seed_hash = opened.seed_hash
    text = t(
        lang,
        "show.lottery.rules",
        prize=lot.prize,
        winners=lot.winners,
        how=how,
        conditions="、".join(conditions) or t(lang, "show.lottery.none"),
        window=duration_words(lang, lot.window),
        hash=seed_hash[:16],
    )
    await ctx.actions.say(ctx.room_id, text, cue=cue_id)
    return {"lottery": lot.id, "seed_hash": seed_hash}


async def resolve_winner(db: Database, run_id: int, script: ShowScript, vote_id: str) -> str | None:
    """The sku a run's closed vote chose (None while it is open or never ran)."""
    spec = vote_specs(script).get(vote_id)
    if spec is None:
        return None
    closed, winner = await runs.vote_result(db, run_id, vote_id)
    if not closed:
        return None
    return winner_sku(spec, winner)
