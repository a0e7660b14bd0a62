"""Pure parts of the hub: frame parsing, moderation decisions, viewer ids, the fair draw, room state."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from media.config import Moderation
from media.hub.bursts import RejectedBursts
from media.hub.identity import ViewerIds
from media.hub.lottery import EntrantFacts, draw, eligible, seed_hash
from media.hub.moderation import moderate
from media.hub.protocol import (
    Chat,
    OpenVote,
    Pinned,
    ProductCardOut,
    ProductSoldOut,
    ProtocolError,
    parse_incoming,
)
from media.hub.state import RoomState, RunChanged
from media.hub.votes import tallies, winner

from .harness import demo_room

RULE = Moderation(
    blocked_words=("微信", "加V"), max_message_length=20, rate_messages=3, rate_per_seconds=10, links="block"
)


def decide(
    text: str, *, staff: bool = False, muted: bool = False, recent: tuple[float, ...] = ()
) -> str | None:
    return moderate(text, rule=RULE, staff=staff, muted=muted, recent=recent, now=100.0).reason


def test_frames_parse_into_models_or_name_what_is_wrong() -> None:
    assert parse_incoming('{"type":"chat","text":"多久发货"}') == Chat(type="chat", text="多久发货")
    vote = parse_incoming(
        '{"type":"open_vote","vote_id":"v1","question":"选哪个","options":["A","B"],"duration_s":30}'
    )
    assert isinstance(vote, OpenVote) and vote.options == ["A", "B"]
    for raw, code in [
        ("not json", "malformed"),
        ("[1,2", "malformed"),
        ('{"type":"nope"}', "unknown_type"),
        ('{"text":"no type"}', "unknown_type"),
        ("[]", "malformed"),
        ("42", "malformed"),
        ('{"type":"chat"}', "invalid"),
        ('{"type":"chat","text":""}', "invalid"),
        ('{"type":"chat","text":"x","extra":1}', "invalid"),
        ('{"type":"vote","vote_id":"v","option":-1}', "invalid"),
        ('{"type":"like","count":1000}', "invalid"),
    ]:
        with pytest.raises(ProtocolError) as caught:
            parse_incoming(raw)
        assert caught.value.code == code, raw


def test_moderation_refuses_with_a_reason() -> None:
    assert decide("这个茶多久发货") is None
    assert decide("加我微信") == "blocked_word"
    assert decide("加 我 微 信") == "blocked_word"  # spaced out
    assert decide("加ｖ看看") == "blocked_word"  # full-width, other case
    assert decide("看 www.cheap.com") == "link"
    assert decide("去 shop.xyz 买") == "link"
    assert decide("x" * 21) == "too_long"
    assert decide("你好", recent=(95.0, 96.0, 97.0)) == "rate_limit"
    assert decide("你好", recent=(80.0, 85.0, 97.0)) is None  # two are outside the 10 s window
    assert decide("你好", muted=True) == "muted"
    assert decide("   \n ") == "empty"
    assert decide("看 https://shop.example.com 加微信", staff=True) is None


def test_a_signed_viewer_id_survives_and_a_forged_one_does_not() -> None:
    ids = ViewerIds("secret")
    me = ids.issue()
    assert ids.verify(me.token) == me.viewer_id
    assert ids.ensure(me.token).viewer_id == me.viewer_id
    forged = me.viewer_id + "." + "0" * 32
    assert ids.verify(forged) is None
    assert ViewerIds("other secret").verify(me.token) is None
    assert ids.ensure(forged).viewer_id != me.viewer_id


def test_draw_is_reproducible_distinct_and_checks_its_input() -> None:
    entrants = sorted(f"v{i:03d}" for i in range(50))
    first = draw("seed-1", entrants, 5)
    assert first == draw("seed-1", entrants, 5)
    assert len(set(first)) == 5 and set(first) <= set(entrants)
    assert draw("seed-2", entrants, 5) != first
    assert sorted(draw("s", entrants, 100)) == entrants  # more winners than entrants: everyone
    assert draw("s", [], 3) == []
    with pytest.raises(ValueError):
        draw("s", ["b", "a"], 1)
    assert seed_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_draw_gives_every_entrant_the_same_chance() -> None:
    # The classic raffle bugs: first entrant double odds, last one never wins.
    entrants = ["a", "b", "c", "d", "e", "f", "g"]
    wins = Counter(w for i in range(14_000) for w in draw(f"seed{i}", entrants, 2))
    expected = 14_000 * 2 / len(entrants)
    chi2 = sum((wins[e] - expected) ** 2 / expected for e in entrants)
    assert chi2 < 22.5  # p ≈ 0.001 at 6 degrees of freedom
    assert min(wins.values()) > 0.9 * expected


def test_eligibility_filters_at_the_draw() -> None:
    facts = {
        "a": EntrantFacts(watched_seconds=400, present=True, claimed_coupon=True),
        "b": EntrantFacts(watched_seconds=100, present=True, claimed_coupon=True),
        "c": EntrantFacts(watched_seconds=400, present=False, claimed_coupon=True),
        "d": EntrantFacts(watched_seconds=400, present=True, claimed_coupon=False, clicked_product=True),
        "e": EntrantFacts(watched_seconds=900, present=True, claimed_coupon=True, muted=True),
    }
    assert eligible(list(facts), facts) == ["a", "b", "c", "d"]
    assert eligible(list(facts), facts, min_watch_seconds=300) == ["a", "c", "d"]
    assert eligible(list(facts), facts, min_watch_seconds=300, present=True) == ["a", "d"]
    assert eligible(list(facts), facts, present=True, require=["claimed_coupon"]) == ["a", "b"]
    assert eligible(list(facts), facts, require=["clicked_product"]) == ["d"]


def test_vote_tallies_and_winner() -> None:
    assert tallies({"a": 0, "b": 1, "c": 1, "d": 7}, 3) == [1, 2, 0]
    assert winner([1, 2, 0]) == 1
    assert winner([2, 2, 1]) == 0
    assert winner([0, 0]) is None


def test_a_stock_out_marks_the_card_on_every_instance_in_its_run_only() -> None:
    card = ProductCardOut(sku="tea-01", name="明前龙井 250g", price=199.0, link="/go/demo/tea-01?src=card")
    pin, sold = Pinned(product=card), ProductSoldOut(sku="tea-01", run_id=7)
    here, there = RoomState(demo_room(), "here", run_id=7), RoomState(demo_room(), "there", run_id=7)
    # Here the pin came first; there the stock-out did (ops from the bus arrive in their own order).
    assert here.apply(pin) == [pin] and here.apply(sold) == [sold]
    assert there.apply(sold) == [sold] and there.apply(pin) == [there.pinned]
    assert here.pinned == there.pinned and here.pinned is not None and here.pinned.product is not None
    assert here.pinned.product.sold_out is True
    assert here.apply(sold) == []  # told twice, said once

    # A late stock-out of an earlier run leaves the current run's card alone.
    later = RoomState(demo_room(), "later", run_id=8)
    later.apply(pin)
    assert later.apply(sold) == [] and later.pinned == pin

    # The same run again keeps its stock-outs; the next run has stock: the card is sent again, buyable.
    assert here.apply(RunChanged(run_id=7)) == [] and here.sold_out == {"tea-01"}
    assert here.apply(RunChanged(run_id=8)) == [pin] and here.pinned == pin and here.sold_out == set()


def test_refused_chat_is_counted_in_bursts() -> None:
    bursts = RejectedBursts(gap=2.0, longest=60.0)
    assert bursts.refused("v1", "rate_limit", "刷屏\x00一", 100.0) == []
    for i in range(1, 50):
        assert bursts.refused("v1", "rate_limit", f"刷屏{i}", 100.0 + i * 0.5) == []
    assert bursts.refused("v1", "blocked_word", "加微信", 125.0) == []  # another reason, another burst
    assert bursts.over(125.0) == []  # still going: the last refusal was 0.5 s ago
    (done,) = bursts.over(126.6)
    assert done.data() == {"reason": "rate_limit", "text": "刷屏一", "count": 50, "seconds": 24.5}
    assert [b.reason for b in bursts.all()] == ["blocked_word"]
    # A refusal after the gap ends the burst and begins the next; a burst never runs past `longest`.
    bursts.refused("v2", "muted", "a", 0.0)
    (first,) = bursts.refused("v2", "muted", "b", 3.0)
    assert first.count == 1 and first.text == "a"
    for i in range(1, 80):
        ended = bursts.refused("v2", "muted", "c", 3.0 + i)
        if ended:
            break
    assert ended and ended[0].count == 60 and ended[0].started == 3.0
    assert [b.viewer_id for b in bursts.of_viewer("v2")] == ["v2"] and len(bursts) == 0
