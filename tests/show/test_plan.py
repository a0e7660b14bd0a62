"""The show clock and the runner's decisions, as plain functions (no room, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules import load_rulebook
from bot.rules.models import RepeatSpec
from bot.show.clock import ShowClock
from bot.show.plan import (
    END_KEY,
    RepeatFacts,
    clamp_shift,
    decide,
    decide_repeat,
    firing_key,
    firings,
    keys_of,
    render,
    show_product,
    winner_sku,
)

DATA = Path(__file__).parent / "data" / "rules"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return load_rulebook(DATA)


def test_clock_speed_shift_and_pause() -> None:
    clock = ShowClock(started_at=1000.0, speed=60.0)
    assert clock.offset(1001.0) == 60.0
    assert clock.real_time(3600.0) == 1060.0
    later = clock.shifted(120.0)  # the rest of the show two minutes later
    assert later.offset(1003.0) == 60.0
    assert later.real_time(60.0) == 1003.0
    paused = clock.pause(1010.0)
    assert paused.offset(1020.0) == paused.offset(1010.0) == 600.0
    resumed = paused.resume(1020.0)
    assert resumed.offset(1020.0) == 600.0
    assert resumed.offset(1021.0) == 660.0
    with pytest.raises(ValueError):
        ShowClock(0.0, speed=0)


@given(
    st.floats(1e9, 2e9), st.floats(0.1, 500), st.floats(-3600, 3600), st.floats(0, 7200), st.floats(0, 600)
)
def test_clock_real_time_inverts_offset(
    start: float, speed: float, shift: float, offset: float, held: float
) -> None:
    clock = ShowClock(start, speed, shift)
    assert clock.offset(clock.real_time(offset)) == pytest.approx(offset, abs=1e-3)
    resumed = clock.pause(start + 10).resume(start + 10 + held)
    assert resumed.offset(start + 10 + held) == pytest.approx(clock.offset(start + 10), abs=1e-3)


def test_firings_of_a_show(book) -> None:  # type: ignore[no-untyped-def]
    fs = firings(book.shows["mini"])
    by_key = {f.key: f for f in fs}
    assert [f.key for f in fs][:4] == ["open:start", "hello", "pin-pan", "newbie"]
    assert by_key["pick:close"].offset == 45 and by_key["pick:close"].parent == "pick"
    assert by_key["bag:draw"].offset == 60
    # repeat at 90+30, every 60 until the segment ends at 210: slots at 120 and 180
    assert [(f.key, f.offset) for f in fs if f.action == "repeat"] == [
        ("pitch-2:0", 120.0),
        ("pitch-2:1", 180.0),
    ]
    assert fs[-1].key == END_KEY and fs[-1].offset == 240
    offsets = [f.offset for f in fs]
    assert offsets == sorted(offsets)
    assert by_key["pitch:start"].offset == 90


def test_the_demo_show_has_stable_unique_short_keys() -> None:
    book = load_rulebook(ROOT / "rules")
    for script in book.shows.values():
        keys = [f.key for f in firings(script)]
        assert len(keys) == len(set(keys))
        assert all(len(k) <= 64 for k in keys)
        assert keys == [f.key for f in firings(script)]


def test_long_keys_are_shortened_without_collisions() -> None:
    long = "a" * 64
    one, two = firing_key(long, "close"), firing_key(long, "draw")
    assert len(one) <= 64 and len(two) <= 64 and one != two


def test_decide_due_late_missed_skip(book) -> None:  # type: ignore[no-untyped-def]
    fs = firings(book.shows["mini"])
    # 70 s in; hello..pick fired; the vote's opening was missed, so its close is skipped
    recorded = {"open:start": "done", "hello": "done", "pin-pan": "done", "newbie": "done", "pick": "missed"}
    plan = decide(fs, recorded, 70.0, grace=30.0, late_after=1.0)
    assert [f.key for f in plan.skip] == ["pick:close"]
    assert [d.firing.key for d in plan.missed] == ["bag", "flash"]  # 50 s and 45 s overdue
    assert [(d.firing.key, d.late) for d in plan.due] == [("open-7", True), ("bag:draw", True)]
    assert plan.next is not None and plan.next.key == "pitch:start"
    on_time = decide(fs, {}, 0.4, grace=30.0, late_after=1.0)
    assert [(d.firing.key, d.late) for d in on_time.due] == [("open:start", False), ("hello", False)]


def test_the_end_is_never_missed_and_repeat_windows_close(book) -> None:  # type: ignore[no-untyped-def]
    fs = firings(book.shows["mini"])
    everything_but = {f.key: "done" for f in fs if f.key not in (END_KEY, "pitch-2:1")}
    plan = decide(fs, everything_but, 10_000.0, grace=60.0, late_after=1.0)
    assert [d.firing.key for d in plan.due] == [END_KEY]
    assert [f.key for f in plan.skip] == ["pitch-2:1"]


def test_put_off_firings_wait(book) -> None:  # type: ignore[no-untyped-def]
    fs = firings(book.shows["mini"])
    done = {f.key: "done" for f in fs if f.offset < 120}
    plan = decide(fs, done, 121.0, grace=60.0, late_after=1.0, not_before={"pitch-2:0": 125.0})
    assert plan.due == [] and plan.next is not None and plan.next.key == "pitch-2:0"


def test_shift_earlier_never_pulls_the_next_cue_into_the_past() -> None:
    assert clamp_shift(300.0, 100.0, 50.0) == 300.0
    assert clamp_shift(-300.0, 100.0, 50.0) == -50.0
    assert clamp_shift(-10.0, 100.0, 50.0) == -10.0
    assert clamp_shift(-10.0, None, 50.0) == -10.0


def test_repeat_rule() -> None:
    spec = RepeatSpec(text="x", every=60, min_chat_lines=3)
    assert decide_repeat(spec, RepeatFacts(0, False, None), pace=20) == "quiet"
    assert decide_repeat(spec, RepeatFacts(2, False, None), pace=20) == "quiet"
    assert decide_repeat(spec, RepeatFacts(3, False, 100.0), pace=20) == "post"
    assert decide_repeat(spec, RepeatFacts(3, False, 5.0), pace=20) == "paced"
    chatty_zero = RepeatSpec(text="x", every=60, min_chat_lines=0)
    assert decide_repeat(chatty_zero, RepeatFacts(0, True, 100.0), pace=20) == "twice_in_a_row"
    assert decide_repeat(chatty_zero, RepeatFacts(0, False, 100.0), pace=20) == "post"


def test_skip_covers_a_cue_and_what_follows_it(book) -> None:  # type: ignore[no-untyped-def]
    fs = firings(book.shows["mini"])
    assert keys_of(fs, "pick") == ["pick", "pick:close"]
    assert keys_of(fs, "pick:close") == ["pick:close"]
    assert keys_of(fs, "pitch-2") == ["pitch-2:0", "pitch-2:1"]
    assert keys_of(fs, "nope") == []


def test_placeholders_and_show_prices() -> None:
    book = load_rulebook(ROOT / "rules")
    script = book.shows["demo"]
    pan = show_product(book, script, "PAN-01")
    text = render("「{name}」{price} 元，今晚 {live_price} 元，只有 {stock} 口；{coupon:save-50}", pan, book)
    assert text == "「麦饭石不粘炒锅 32cm」299 元，今晚 159 元，只有 300 口；满199减50"
    repriced = script.model_copy(update={"prices": {"PAN-01": 149.0}})
    assert render("{live_price}", show_product(book, repriced, "PAN-01"), book) == "149"


def test_winner_of_a_product_vote(book) -> None:  # type: ignore[no-untyped-def]
    vote = next(sc.cue.vote for sc in book.shows["mini"].timeline() if sc.cue.vote)
    assert winner_sku(vote, 1) == "TEA-05"
    assert winner_sku(vote, 0) == "DOWN-03"
    assert winner_sku(vote, None) == "DOWN-03"  # no ballots: the planner's first option
