"""Highlights (高光切片) found in a run's numbers, on a hand-built log: each product's 讲解 window from
its pin to the next pin (the same product pinned again right after does not split it), and the peaks of
orders, likes and chat, each titled with what happened during it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bot.review.highlights import explain_windows, find_highlights, peak
from bot.review.kpi import compute
from media.events import RoomEvent

T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
END = T0 + dt.timedelta(minutes=20)
NAMES = {"PAN-01": "麦饭石不粘炒锅", "TEA-05": "高山红茶礼盒"}


def ev(seconds: float, what: str, viewer: str | None = None, **data: Any) -> RoomEvent:
    return RoomEvent.at(T0 + dt.timedelta(seconds=seconds), what, viewer, data)


def log() -> list[RoomEvent]:
    out = [ev(0, "viewer_joined", f"v{n}", connection_id=f"c{n}") for n in range(30)]
    out += [
        ev(60, "pin", sku="PAN-01"),
        ev(62, "pin", sku="PAN-01"),  # the segment's start pins it again: one window
        ev(400, "pin", sku="TEA-05"),
        ev(401, "pin", sku=None),  # a slip: one second is no explanation
        ev(402, "pin", sku="TEA-05"),
        ev(700, "pin", sku=None),
    ]
    # a burst of 6 orders in 20 s at 5:00, while the pan is on; 2 more orders spread out
    out += [
        ev(300 + 4 * n, "order", f"v{n}", order_id=f"o{n}", sku="PAN-01", amount="159.00") for n in range(6)
    ]
    out += [ev(500, "order", "v20", order_id="late1", sku="TEA-05", amount="99.00")]
    out += [ev(900, "order", "v21", order_id="late2", sku="TEA-05", amount="99.00")]
    out += [ev(290 + n, "click", f"v{n}", sku="PAN-01", source="card") for n in range(8)]
    # likes pour in at 8:00 (tea on screen); chat stays thin everywhere (no chat peak)
    out += [ev(480 + n, "like", f"v{n % 10}", count=10) for n in range(15)]
    out += [ev(100 * n + 5, "like", "v1", count=1) for n in range(10)]
    out += [ev(200 * n, "chat", f"v{n}", role="viewer", message_id=f"m{n}", text="好") for n in range(6)]
    return sorted(out, key=lambda e: e.ts)


def test_explain_windows_and_peaks_are_titled_and_timed() -> None:
    review = compute(log(), T0, END)
    assert [(a, b, sku) for a, b, sku in explain_windows(review.moments)] == [
        (60.0, 400.0, "PAN-01"),
        (402.0, 700.0, "TEA-05"),
    ]
    found = find_highlights(review, "zh-CN", NAMES)
    assert [(h.number, h.kind, h.slug) for h in found] == [
        (1, "explain", "01-explain-PAN-01"),
        (2, "orders", "02-orders"),
        (3, "explain", "03-explain-TEA-05"),
        (4, "likes", "04-likes"),
    ]
    pan, orders, tea, likes = found
    assert pan.title == "讲解：麦饭石不粘炒锅（PAN-01）" and (pan.start, pan.end) == (60.0, 400.0)
    assert (pan.orders, pan.gmv, pan.clicks) == (6, Decimal("954.00"), 8)
    # the busiest minute of orders is 5:00–6:00; the clip opens half a minute before it
    assert (orders.start, orders.end) == (270.0, 390.0)
    assert orders.title == "订单高峰：6 单 ¥954.00（讲解 麦饭石不粘炒锅（PAN-01） 时）"
    assert (orders.orders, orders.clicks) == (6, 8)
    assert tea.title == "讲解：高山红茶礼盒（TEA-05）" and tea.orders == 1 and tea.gmv == Decimal("99.00")
    assert likes.title.startswith("点赞高峰：") and "高山红茶礼盒" in likes.title
    assert likes.start == 450.0 and likes.likes >= 150
    assert not any(h.kind == "chat" for h in found)  # 6 lines in 20 minutes: no peak

    english = find_highlights(review, "en", NAMES)
    assert english[0].title == "Explaining 麦饭石不粘炒锅 (PAN-01)"
    assert english[1].title.startswith("Order peak: 6 orders, ¥954.00")


def test_a_run_with_nothing_to_show_has_no_highlights() -> None:
    assert find_highlights(compute([], T0, END)) == []
    assert peak({}, 60, 100) is None
    assert peak({10: 1, 20: 3, 75: 1}, 60, 100) == (10.0, 70.0, 4)
