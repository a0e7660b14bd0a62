"""The rulebook, translated into the plain settings the room server runs with."""

from __future__ import annotations

from bot.app.credentials import Credentials
from bot.rules import Rulebook
from bot.show.plan import vote_options
from media.config import (
    DEFAULT_GIFTS,
    CouponCard,
    FlashSalePreset,
    Gift,
    HlsOutput,
    IceServer,
    Limits,
    LotteryPreset,
    Moderation,
    Playback,
    ProductCard,
    Restream,
    RoomSettings,
    VotePreset,
)


def room_settings(rulebook: Rulebook, credentials: Credentials) -> RoomSettings:
    room = rulebook.room
    mod = room.moderation
    votes, lotteries, sales = show_presets(rulebook)
    return RoomSettings(
        id=room.id,
        title=room.title,
        language=room.language,
        bot_name=room.bot.name,
        publish_token=credentials.publish_token,
        team_password=credentials.team_password,
        moderation=Moderation(
            blocked_words=tuple(mod.blocked_words),
            max_message_length=mod.max_message_length,
            rate_messages=mod.rate_limit.messages,
            rate_per_seconds=mod.rate_limit.per,
            links=mod.links,
        ),
        gifts=tuple(Gift(g.id, g.name, g.icon) for g in room.gifts)
        if room.gifts is not None
        else DEFAULT_GIFTS,
        products=tuple(
            ProductCard(
                sku=p.sku,
                name=p.name,
                price=p.price,
                link=p.link,
                live_price=p.live_price,
                stock=p.stock,
                description=p.description,
                aliases=tuple(p.aliases),
                image=p.image,
            )
            for p in rulebook.products
        ),
        ice_servers=tuple(
            IceServer(
                urls=tuple([s.urls] if isinstance(s.urls, str) else s.urls),
                username=s.username,
                credential=s.credential,
                secret=s.secret,
                ttl=s.ttl,
            )
            for s in room.ice_servers
        ),
        record=room.record,
        timezone=room.timezone,
        currency=room.currency,
        restream=Restream(room.restream.whip_url, room.restream.token) if room.restream else None,
        hls=HlsOutput(
            segment_s=room.hls.segment,
            part_s=0.25 if room.hls.parts else None,
            window=room.hls.window,
            audio=room.hls.audio,
        )
        if room.hls is not None
        else None,
        playback=Playback(
            via=room.playback.via,
            whep_url=room.playback.whep_url,
            hls_url=room.playback.hls_url,
            fallback=room.playback.fallback,
        ),
        limits=Limits(
            new_viewers_per_minute=room.limits.new_viewers_per_minute,
            claims_per_coupon=room.limits.claims_per_coupon,
            entries_per_lottery=room.limits.entries_per_lottery,
            exempt=tuple(room.limits.exempt),
        ),
        coupons=tuple(
            CouponCard(
                id=c.id,
                title=c.title,
                link=c.link,
                discount=c.discount,
                min_spend=c.min_spend,
                quantity=c.quantity,
                valid_minutes=c.valid_minutes,
            )
            for c in rulebook.coupons
        ),
        votes=votes,
        lotteries=lotteries,
        flash_sales=sales,
    )


def show_presets(
    rulebook: Rulebook,
) -> tuple[tuple[VotePreset, ...], tuple[LotteryPreset, ...], tuple[FlashSalePreset, ...]]:
    """The shows' votes, 福袋 and flash sales as the studio offers them (each id once, first show first)."""
    votes: dict[str, VotePreset] = {}
    lotteries: dict[str, LotteryPreset] = {}
    sales: dict[tuple[str, float, str | None], FlashSalePreset] = {}
    for show_id in sorted(rulebook.shows):
        for sc in rulebook.shows[show_id].timeline():
            cue = sc.cue
            if cue.vote is not None and cue.vote.id not in votes:
                v = cue.vote
                votes[v.id] = VotePreset(
                    v.id, v.question, tuple(vote_options(v, rulebook)), v.duration, v.allow_change, show_id
                )
            if cue.lottery is not None and cue.lottery.id not in lotteries:
                lot, rules = cue.lottery, cue.lottery.eligibility
                lotteries[lot.id] = LotteryPreset(
                    lot.id,
                    lot.prize,
                    lot.winners,
                    lot.window,
                    lot.keyword,
                    rules.min_watch_seconds,
                    rules.present,
                    tuple(rules.require),
                    lot.prize_value,
                    show_id,
                )
            if cue.countdown is not None:
                cd = cue.countdown
                sales.setdefault(
                    (cd.title, cd.duration, cd.product),
                    FlashSalePreset(cd.title, cd.duration, cd.product, cd.stock, show_id),
                )
    return tuple(votes.values()), tuple(lotteries.values()), tuple(sales.values())
