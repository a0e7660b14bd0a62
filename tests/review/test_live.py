"""The studio's live numbers come from the review's fold: fed the hand-built log minute by minute, they
match the hand-computed values at each moment and the report's at the end."""

from __future__ import annotations

import datetime as dt

from bot.review.kpi import compute
from bot.review.live import LiveNumbers
from bot.review.records import Ratio
from bot.review.windows import segment_windows

from .handbuilt import END, EVENTS, SCRIPT, SPEED, START, at


def test_live_numbers_follow_the_show() -> None:
    live = LiveNumbers(START, segment_windows(SCRIPT, START, SPEED))
    fed = 0

    def until(clock: str):
        nonlocal fed
        now = at(clock)
        batch = [e for e in EVENTS[fed:] if e.when <= now]
        fed += len(batch)
        live.feed(batch)
        return live.snapshot(now)

    first = until("1:30")
    # A, B, D connected (E left at 1:30); peak 4 at 1:00; B and D clicked KETTLE-02.
    assert (first.online, first.peak, first.peak_at, first.clicks) == (3, 4, at("1:00"), 2)
    assert first.ctr == Ratio(2, 4) and first.segment == "warm"  # A, B, D, E so far
    second = until("4:15")
    assert (second.online, second.coupons_claimed, second.orders, second.gmv) == (2, 3, 2, "472.00")
    last = until("10:00")
    assert last.segment is None and last.online == 2
    final = compute(
        [e for e in EVENTS if e.when <= END], START, END, segment_windows(SCRIPT, START, SPEED, END)
    )
    assert (last.peak, last.clicks, last.ctr, last.orders) == (
        final.show.peak_concurrent, final.show.clicks, final.show.ctr, final.show.orders,
    )  # fmt: skip
    assert last.as_json()["ctr"] == 0.8 and isinstance(
        dt.datetime.fromisoformat(str(last.as_json()["at"])), dt.datetime
    )
