"""A ten-minute run built by hand, with every KPI worked out on paper in test_kpi_handbuilt.py.

The script is 20 minutes long (暖场 10m, then 产品亮相 10m featuring PAN-01) and the run goes at
speed 2, so in wall time the segments are warm [0:00, 5:00) and reveal [5:00, 10:00).
Times below are mm:ss from the run's start, 2026-11-28 12:00:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.rules.models import ShowScript
from media.events import RoomEvent

START = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=10)
SPEED = 2.0

SCRIPT = ShowScript.model_validate(
    {
        "title": "手算场",
        "starts_at": "2026-11-28T20:00:00+08:00",
        "segments": [
            {"id": "warm", "kind": "暖场", "duration": "10m"},
            {"id": "reveal", "kind": "产品亮相", "duration": "10m", "product": "PAN-01"},
        ],
    }
)


def at(clock: str) -> dt.datetime:
    sign = -1 if clock.startswith("-") else 1
    minutes, seconds = clock.lstrip("-").split(":")
    return START + dt.timedelta(seconds=sign * (int(minutes) * 60 + int(seconds)))


def ev(clock: str, kind_: str, viewer: str | None = None, **data: Any) -> RoomEvent:
    return RoomEvent.at(at(clock), kind_, viewer, data)


EVENTS: list[RoomEvent] = [
    # Before the run: D is already watching, KETTLE-02 is already pinned.
    ev("-1:00", "viewer_joined", "D", connection_id="d1", nickname="丁"),
    ev("-0:30", "pin", sku="KETTLE-02"),
    ev("0:00", "show_started", show_id="hand", run_id=1, speed=2.0),
    ev("0:00", "segment_started", segment_id="warm", kind="暖场", product=None),
    ev("0:00", "viewer_joined", "A", connection_id="a1", nickname="甲"),
    ev("0:00", "cue_fired", cue_id="warm-1", kind="say", scheduled_at="", late=0.2),
    ev("0:20", "coupon_pushed", coupon_id="newbie-5", title="新人无门槛5元", quantity=100),
    ev("0:20", "lottery_opened", lottery_id="fudai", prize="保温杯", winners=1, keyword="山野好物"),
    ev("0:30", "chat", "E", message_id="m1", role="viewer", nickname="戊", text="多久发货"),
    ev("0:31", "faq_decision", "E", message_id="m1", decision="answered", faq_id="ship", score=0.9),
    ev("0:31", "chat", None, message_id="m1r", role="bot", nickname="助理", text="48小时内发货"),
    ev("0:40", "like", "A", count=3),
    ev("1:00", "viewer_joined", "B", connection_id="b1", nickname="乙"),
    ev("1:00", "lottery_entry", "E", lottery_id="fudai", via="keyword"),
    ev("1:05", "chat", "B", message_id="m2", role="viewer", nickname="乙", text="能开发票吗"),
    ev("1:06", "faq_decision", "B", message_id="m2", decision="escalated", faq_id=None, score=0.2),
    ev("1:10", "click", "B", sku="KETTLE-02", source="card"),
    ev("1:20", "click", "D", sku="KETTLE-02", source="card"),
    # E was connected before the log began: its socket only ever leaves.
    ev("1:30", "viewer_left", "E", connection_id="e1", watched_seconds=400),
    ev("1:40", "lottery_entry", "A", lottery_id="fudai", via="keyword"),
    ev("1:50", "question_answered", "B", message_id="m2", answer_message_id="m2r", by="team"),
    ev("1:55", "lottery_entry", "B", lottery_id="fudai", via="keyword"),
    ev("2:00", "viewer_joined", "B", connection_id="b2", nickname="乙"),
    ev("2:00", "viewer_left", "D", connection_id="d1", watched_seconds=180),
    ev("2:05", "chat", None, message_id="h1", role="host", nickname="主播", text="欢迎"),
    ev("2:30", "pin", sku="PAN-01"),
    ev("2:30", "cue_fired", cue_id="warm-2", kind="pin", scheduled_at="", late=0.0),
    ev("2:40", "click", "A", sku="PAN-01", source="card"),
    ev("3:00", "viewer_joined", "C", connection_id="c1", nickname="丙"),
    ev("3:20", "coupon_claimed", "C", coupon_id="newbie-5", remaining=99),
    ev("3:30", "click", "C", sku="PAN-01", source="card"),
    ev("3:40", "click", "C", sku="PAN-01", source="card"),
    ev("3:45", "order", "C", order_id="o1", sku="PAN-01", quantity=1, amount="154.00", coupon_id="newbie-5"),
    ev("3:45", "coupon_used", "C", coupon_id="newbie-5", order_id="o1"),
    ev("3:50", "coupon_claimed", "A", coupon_id="newbie-5", remaining=98),
    ev("3:52", "coupon_claim_refused", "A", coupon_id="newbie-5", reason="already_claimed"),
    ev("3:55", "coupon_claimed", "B", coupon_id="newbie-5", remaining=97),
    ev("4:00", "viewer_left", "C", connection_id="c1", watched_seconds=60),
    ev("4:00", "viewer_left", "B", connection_id="b1", watched_seconds=180),
    ev(
        "4:00",
        "vote_opened",
        vote_id="pick",
        question="压轴要哪个？",
        options=["锅", "壶"],
        allow_change=False,
    ),
    ev("4:10", "ballot", "A", vote_id="pick", option="锅"),
    ev("4:10", "order", "A", order_id="o2", sku="PAN-01", quantity=2, amount="318.00"),
    ev("4:40", "lottery_drawn", lottery_id="fudai", draw_id="d-1", seed="s", winners=["A"], entrants=3),
    ev("5:00", "pin", sku=None),
    ev("5:00", "segment_started", segment_id="reveal", kind="产品亮相", product="PAN-01"),
    ev("5:10", "like", "B", count=2),
    ev("5:20", "chat", "A", message_id="m3", role="viewer", nickname="甲", text="锅有多大"),
    ev("5:21", "faq_decision", "A", message_id="m3", decision="abstained", faq_id=None, score=0.1),
    ev("5:30", "coupon_pushed", coupon_id="save-50", title="满199减50", quantity=100),
    ev("5:40", "coupon_claimed", "B", coupon_id="save-50", remaining=99),
    ev("5:40", "vote_closed", vote_id="pick", tallies={"锅": 1, "壶": 0}, winner="锅"),
    ev("6:00", "viewer_left", "B", connection_id="b2", watched_seconds=240),
    ev("6:30", "pin", sku="PAN-01"),
    ev("6:35", "question_answered", "A", message_id="m3", answer_message_id="m3r", by="team"),
    ev("7:00", "viewer_joined", "C", connection_id="c2", nickname="丙"),
    ev("7:10", "follow", "C"),
    ev("7:30", "click", None, sku="PAN-01", source="link"),
    ev("7:40", "order", None, order_id="o3", sku="KETTLE-02", quantity=1, amount="79.00"),
    ev("8:00", "click", "Z", sku="PAN-01", source="link"),
    ev("8:10", "order", "B", order_id="o4", sku="KETTLE-02", quantity=1, amount="79.00"),
    ev("8:20", "gift", "A", gift_id="rose", name="玫瑰"),
    ev("9:00", "like", "C", count=5),
    ev("10:00", "show_ended", show_id="hand", run_id=1, speed=2.0),
    # After the end: only the shop's late order and coupon use (within 30 minutes) still count.
    ev("10:10", "chat", "A", message_id="m4", role="viewer", nickname="甲", text="下次见"),
    ev(
        "10:20", "order", "D", order_id="o5", sku="KETTLE-02", quantity=1, amount="79.00", coupon_id="save-50"
    ),
    ev("10:20", "coupon_used", "D", coupon_id="save-50", order_id="o5"),
    ev("10:50", "viewer_joined", "F", connection_id="f1", nickname="己"),
    ev("40:01", "order", "X", order_id="o6", sku="PAN-01", quantity=1, amount="999.00"),
]
