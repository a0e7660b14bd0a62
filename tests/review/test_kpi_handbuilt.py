"""The KPIs of the hand-built run (tests/review/handbuilt.py), worked out on paper.

Presence (seconds from the start, [join, leave)):
  A 0–600 (still connected at the end)              600 s
  B b1 60–240 and b2 120–360, merged 60–360          300 s
  C 180–240 and 420–600                              240 s
  D joined before the run, left at 120 → 0–120       120 s
  E left at 90 without a join in the log → 0–90       90 s
  total 1350 s over 5 viewers = 270 s each.
Concurrency: 0→3 (A, D, E), 60→4, 90→3, 120→2, 180→3, 240→2, 360→1, 420→2. Peak 4 at 1:00.
Segments at speed 2: warm [0, 300), reveal [300, 600).
"""

from __future__ import annotations

from decimal import Decimal

from bot.review.kpi import BotCounts, CueMark, Tally, compute
from bot.review.records import Ratio
from bot.review.windows import segment_windows

from .handbuilt import END, EVENTS, SCRIPT, SPEED, START


def review():
    windows = segment_windows(SCRIPT, START, SPEED, END)
    return compute(EVENTS, START, END, windows)


def test_segment_windows_follow_the_run_speed() -> None:
    warm, reveal = segment_windows(SCRIPT, START, SPEED, END)
    assert (warm.start - START).total_seconds() == 0 and (warm.end - START).total_seconds() == 300
    assert (reveal.start - START).total_seconds() == 300 and (reveal.end - START).total_seconds() == 600
    assert reveal.kind == "产品亮相" and reveal.product == "PAN-01"


def test_show_audience() -> None:
    show = review().show
    assert show.unique_viewers == 5
    assert show.watch == Ratio(1350.0, 5) and show.avg_watch_seconds == 270.0
    assert (show.peak_concurrent, show.peak_at) == (4, 60.0)
    # A and C are still connected at 10:00.
    assert show.retention == Ratio(2, 5)


def test_show_sales() -> None:
    show = review().show
    # clickers B, D, A, C (+ Z, who never joined the room) → 4 of the 5 viewers clicked.
    assert show.ctr == Ratio(4, 5)
    assert show.clicks == 7
    # orders o1 154.00 (C), o2 318.00 ×2 (A), o3 79.00 (no viewer), o4 79.00 (B), o5 79.00 (D, 20 s
    # after the end); o6 comes 30 min after the end and does not count.
    assert show.orders == 5 and show.units == 6
    assert show.gmv == Decimal("709.00")
    assert show.gmv_per_viewer.money() == Decimal("141.80")
    # buyers A, B, C, D all clicked; clickers are A, B, C, D, Z.
    assert show.conversion == Ratio(4, 5)
    assert show.buyer_rate == Ratio(4, 5)


def test_show_interaction_and_bot() -> None:
    show = review().show
    # chatted E, B, A; liked A, B, C; voted A; entered E, A, B → A, B, C, E. D only clicked.
    assert show.interaction == Ratio(4, 5)
    assert show.chat_messages == 3  # bot and host lines and the chat after the end do not count
    assert show.likes == 3 + 2 + 5
    assert show.gifts == 1 and show.follows == 1
    assert show.bot == BotCounts(answered=1, abstained=1, escalated=1)
    # m2 asked 1:05, answered 1:50 → 45 s; m3 asked 5:20, answered 6:35 → 75 s.
    assert show.human_answer_seconds == (45.0, 75.0)
    assert show.median_human_answer_seconds == 60.0
    assert (show.coupons_pushed, show.coupons_claimed, show.coupons_used) == (2, 4, 2)
    assert show.lottery_entries == 3
    # vote open 4:00–5:40: A and B connected (C left at exactly 4:00); only A voted.
    assert show.vote_turnout == Ratio(1, 2)


def test_segments() -> None:
    warm, reveal = review().segments
    w = warm.kpis
    # warm: A 300, B 240, C 60, D 120, E 90 = 810 s over 5; A and B still there at 5:00.
    assert (w.unique_viewers, w.watch, w.retention) == (5, Ratio(810.0, 5), Ratio(2, 5))
    assert (w.peak_concurrent, w.peak_at) == (4, 60.0)
    assert w.avg_watch_seconds == 162.0
    assert (w.clicks, w.ctr) == (5, Ratio(4, 5))
    assert (w.orders, w.units, w.gmv) == (2, 3, Decimal("472.00"))
    assert w.conversion == Ratio(2, 4) and w.buyer_rate == Ratio(2, 5)
    assert w.gmv_per_viewer.money() == Decimal("94.40")
    assert w.interaction == Ratio(3, 5)  # E, B, A
    assert (w.chat_messages, w.likes, w.gifts) == (2, 3, 0)
    assert w.bot == BotCounts(answered=1, abstained=0, escalated=1)
    assert w.median_human_answer_seconds == 45.0
    assert (w.coupons_pushed, w.coupons_claimed, w.coupons_used) == (1, 3, 1)
    assert w.lottery_entries == 3
    assert w.vote_turnout == Ratio(1, 2)
    assert warm.product is None

    r = reveal.kpis
    # reveal: A 300, B 60, C 180 = 540 s over 3; A and C there at the end.
    assert (r.unique_viewers, r.watch, r.retention) == (3, Ratio(540.0, 3), Ratio(2, 3))
    assert (r.peak_concurrent, r.peak_at) == (2, 300.0)
    assert (r.clicks, r.ctr) == (2, Ratio(0, 3))  # an anonymous link click and Z, who never joined
    assert (r.orders, r.gmv) == (2, Decimal("158.00"))
    assert r.gmv_per_viewer.money() == Decimal("52.67")
    assert r.conversion == Ratio(0, 1) and r.buyer_rate == Ratio(1, 3)
    assert r.interaction == Ratio(3, 3)
    assert (r.chat_messages, r.likes, r.gifts, r.follows) == (1, 7, 1, 1)
    assert r.bot == BotCounts(answered=0, abstained=1, escalated=0)
    assert r.median_human_answer_seconds == 75.0
    assert (r.coupons_pushed, r.coupons_claimed, r.coupons_used) == (1, 1, 0)  # D's use came after the end
    assert r.vote_turnout == Ratio(0, 2)
    assert reveal.product == "PAN-01"
    assert w.watch + r.watch == Ratio(1350.0, 8)  # pooled: segment watch adds up to the show's


def test_products() -> None:
    kettle, pan = review().products
    # KETTLE-02 pinned from before the start until 2:30 → [0, 150): A, B, D, E exposed.
    assert (kettle.sku, kettle.pinned_seconds, kettle.exposed) == ("KETTLE-02", 150.0, 4)
    assert (kettle.clicks, kettle.clickers, kettle.ctr) == (2, 2, Ratio(2, 4))
    assert (kettle.orders, kettle.units, kettle.gmv, kettle.buyers) == (3, 3, Decimal("237.00"), 2)
    assert kettle.conversion == Ratio(2, 2) and kettle.buyer_rate == Ratio(2, 4)
    assert kettle.gmv_per_viewer.money() == Decimal("59.25")
    assert kettle.funnel == (4, 2, 2)
    # PAN-01 pinned [150, 300) and [390, 600) → 360 s; A, B, C exposed; Z clicked by link only.
    assert (pan.sku, pan.pinned_seconds, pan.exposed) == ("PAN-01", 360.0, 3)
    assert (pan.clicks, pan.clickers, pan.ctr) == (5, 3, Ratio(2, 3))
    assert (pan.orders, pan.units, pan.gmv, pan.buyers) == (2, 3, Decimal("472.00"), 2)
    assert pan.conversion == Ratio(2, 3) and pan.buyer_rate == Ratio(2, 3)
    assert pan.gmv_per_viewer.money() == Decimal("157.33")
    assert pan.funnel == (3, 2, 2)


def test_coupons_lotteries_votes_and_series() -> None:
    result = review()
    newbie, save = result.coupons
    assert (newbie.coupon_id, newbie.pushed, newbie.claimed, newbie.refused, newbie.used) == (
        "newbie-5", 1, 3, 1, 1,
    )  # fmt: skip
    assert (save.coupon_id, save.claimed, save.used, save.sold_out) == ("save-50", 1, 1, False)
    (fudai,) = result.lotteries
    assert (fudai.entries, fudai.entrants, fudai.winners) == (3, 3, 1)
    (pick,) = result.votes
    assert (pick.turnout, pick.winner) == (Ratio(1, 2), "锅")
    assert result.chat_per_minute == (1, 1, 0, 0, 0, 1, 0, 0, 0, 0)
    assert result.likes_per_minute == (3, 0, 0, 0, 0, 2, 0, 0, 0, 5)
    assert result.concurrency[:3] == ((0.0, 3), (60.0, 4), (90.0, 3))
    assert result.concurrency[-2:] == ((420.0, 2), (600.0, 0))
    assert result.cues == (
        CueMark(0.0, "warm-1", "say", 0.2, False),
        CueMark(150.0, "warm-2", "pin", 0.0, False),
    )


def test_a_tally_can_report_while_the_show_goes_on() -> None:
    windows = segment_windows(SCRIPT, START, SPEED)
    tally = Tally(START, windows)
    for event in EVENTS:
        if event.when > START.replace(minute=2):
            break
        tally.add(event)
    now = tally.result(START.replace(minute=2))
    assert now.online_now == 2  # A and B; D left at exactly 2:00
    assert (now.show.peak_concurrent, now.show.clicks) == (4, 2)
    assert now.show.unique_viewers == 4  # A, B, D, E; C comes at 3:00
    assert now.show.watch == Ratio(120.0 + 60.0 + 120.0 + 90.0, 4)
    later = tally.add_all(e for e in EVENTS if START.replace(minute=2) < e.when <= END).result(END)
    in_run = [e for e in EVENTS if e.when <= END]
    assert later.show == compute(in_run, START, END, segment_windows(SCRIPT, START, SPEED, END)).show
    assert later.show.orders == 4  # the live tally has not seen the shop's late order yet


def test_sockets_of_one_viewer_are_merged_and_touching_stretches_join() -> None:
    from .handbuilt import ev

    events = [
        ev("0:00", "viewer_joined", "A", connection_id="1"),
        ev("0:10", "viewer_joined", "A", connection_id="2"),
        ev("0:20", "viewer_left", "A", connection_id="1"),
        ev("0:30", "viewer_left", "A", connection_id="2"),
        ev("0:30", "viewer_joined", "A", connection_id="3"),
        ev("0:50", "viewer_left", "A", connection_id="3"),
    ]
    show = compute(events, START, START.replace(minute=1)).show
    assert (show.unique_viewers, show.watch, show.peak_concurrent) == (1, Ratio(50.0, 1), 1)
