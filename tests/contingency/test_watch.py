"""ContingencyWatch: each condition, cooldown and unless_recent, with events and an injected time."""

from __future__ import annotations

from typing import Any

from bot.contingency import ContingencyWatch, PlanFiring
from bot.rules.models import ContingencyPlan
from media.hub.events import RoomEvent


def plan(id: str, when: dict[str, Any], *, cooldown: str = "5m", **extra: Any) -> ContingencyPlan:
    return ContingencyPlan.model_validate(
        {"id": id, "when": when, "do": [{"say": f"{id}!"}], "cooldown": cooldown, **extra}
    )


def ev(kind: str, ts: float, viewer_id: str | None = None, **data: Any) -> RoomEvent:
    return RoomEvent("demo", kind, ts, viewer_id, data)


def ids(firings: list[PlanFiring]) -> list[str]:
    return [f.plan_id for f in firings]


def test_stream_down_after_for_once_per_outage_then_stream_up() -> None:
    w = ContingencyWatch(
        [
            plan("down", {"stream_down": {"for": "10s"}}, cooldown="0s"),
            plan("up", {"stream_up": {}}, cooldown="0s"),
        ]
    )
    assert w.observe(ev("stream_down", 100, slot="host", reason="timeout")) == []
    assert w.tick(105) == []
    fired = w.tick(110)
    assert ids(fired) == ["down"]
    assert fired[0].actions[0].say == "down!"
    assert w.tick(120) == [] and w.tick(200) == []  # once per outage
    assert ids(w.observe(ev("stream_started", 210, slot="host"))) == ["up"]
    # A short outage (under `for`) is not answered by stream_up either.
    w.observe(ev("stream_down", 300, slot="host"))
    assert w.tick(305) == []
    assert w.observe(ev("stream_started", 306, slot="host")) == []


def test_stream_up_only_after_stream_down_fired_and_deliberate_stops_ignored() -> None:
    w = ContingencyWatch([plan("down", {"stream_down": {"for": "5s"}}), plan("up", {"stream_up": {}})])
    assert w.observe(ev("stream_started", 1, slot="host")) == []
    w.observe(ev("stream_stopped", 10, slot="host", reason="ended_by_host"))
    assert w.tick(100) == []
    w.observe(ev("stream_down", 10, slot="guest"))
    assert w.tick(100) == []


def test_stream_quality_low_for_duration() -> None:
    w = ContingencyWatch(
        [plan("q", {"stream_quality_low": {"min_bitrate_kbps": 500, "min_fps": 20, "for": "10s"}})]
    )
    assert w.observe(ev("stream_health", 0, bitrate_kbps=300, fps=25)) == []
    assert w.observe(ev("stream_health", 5, bitrate_kbps=900, fps=25)) == []  # recovered: resets
    assert w.observe(ev("stream_health", 6, bitrate_kbps=900, fps=10)) == []
    assert ids(w.observe(ev("stream_health", 16, bitrate_kbps=900, fps=10))) == ["q"]
    assert w.observe(ev("stream_health", 30, bitrate_kbps=900, fps=10)) == []  # once per low spell


def test_viewers_drop_percent_window_min_viewers() -> None:
    w = ContingencyWatch([plan("drop", {"viewers_drop": {"percent": 20, "window": "1m", "min_viewers": 10}})])
    assert w.observe(ev("presence", 0, online=60, viewers=50, instance="a")) == []
    assert w.observe(ev("presence", 30, viewers=41, instance="a")) == []  # -18 %
    fired = w.observe(ev("presence", 50, viewers=40, instance="a"))
    assert ids(fired) == ["drop"]
    assert fired[0].detail == {"before": 50, "viewers": 40}
    # Too few viewers to count as a drop.
    small = ContingencyWatch(
        [plan("drop", {"viewers_drop": {"percent": 20, "window": "1m", "min_viewers": 10}})]
    )
    small.observe(ev("presence", 0, viewers=8))
    assert small.observe(ev("presence", 5, viewers=2)) == []
    # Outside the window the old peak no longer counts.
    slow = ContingencyWatch([plan("drop", {"viewers_drop": {"percent": 20, "window": "1m"}})])
    slow.observe(ev("presence", 0, viewers=50))
    assert slow.observe(ev("presence", 70, viewers=30)) == []


def test_chat_silent_needs_viewers_and_resets_on_viewer_chat() -> None:
    w = ContingencyWatch([plan("quiet", {"chat_silent": {"for": "60s"}}, cooldown="0s")])
    assert w.tick(1000) == []  # nobody here: silence means nothing
    w.observe(ev("presence", 0, viewers=3))
    assert w.tick(50) == []
    w.observe(ev("chat", 55, "v1", role="viewer", text="hi"))
    w.observe(ev("chat", 100, None, role="bot", text="bot lines are not chat from viewers"))
    assert w.tick(110) == []
    assert ids(w.tick(115)) == ["quiet"]
    assert w.tick(150) == []  # counted again from the firing
    assert ids(w.tick(175)) == ["quiet"]


def test_queue_longer_once_per_growth() -> None:
    w = ContingencyWatch([plan("queue", {"queue_longer": {"than": 3}}, cooldown="0s")])
    assert w.tick(0, waiting=3) == []
    assert ids(w.tick(1, waiting=4)) == ["queue"]
    assert w.tick(2, waiting=6) == []
    assert w.tick(3, waiting=1) == []
    assert ids(w.tick(4, waiting=5)) == ["queue"]


def test_coupon_sold_out_and_product_out_of_stock_match_the_named_one() -> None:
    w = ContingencyWatch(
        [
            plan("save", {"coupon_sold_out": {"coupon": "save-50"}}),
            plan("any-coupon", {"coupon_sold_out": {}}),
            plan("pan", {"product_out_of_stock": {"product": "PAN-01"}}),
        ]
    )
    assert ids(w.observe(ev("coupon_sold_out", 1, coupon_id="newbie-5"))) == ["any-coupon"]
    assert ids(w.observe(ev("coupon_sold_out", 2, coupon_id="save-50"))) == ["save"]
    assert w.observe(ev("product_out_of_stock", 3, sku="TEA-05")) == []
    assert ids(w.observe(ev("product_out_of_stock", 4, sku="PAN-01"))) == ["pan"]


def test_cooldown_holds_the_same_plan_back() -> None:
    w = ContingencyWatch([plan("save", {"coupon_sold_out": {}}, cooldown="1m")])
    assert ids(w.observe(ev("coupon_sold_out", 0, coupon_id="a"))) == ["save"]
    assert w.observe(ev("coupon_sold_out", 59, coupon_id="b")) == []
    assert ids(w.observe(ev("coupon_sold_out", 60, coupon_id="c"))) == ["save"]


def test_unless_recent_skips_without_using_the_cooldown() -> None:
    w = ContingencyWatch(
        [
            plan(
                "drop",
                {"viewers_drop": {"percent": 20, "window": "1m", "min_viewers": 1}},
                unless_recent={"lottery": "10m"},
            )
        ]
    )
    w.observe(ev("lottery_opened", 0, lottery_id="bag"))
    w.observe(ev("presence", 500, viewers=50))
    assert w.observe(ev("presence", 510, viewers=10)) == []  # a lottery 510 s ago
    w.observe(ev("presence", 590, viewers=50))
    assert ids(w.observe(ev("presence", 600, viewers=10))) == ["drop"]


def test_configure_keeps_state() -> None:
    w = ContingencyWatch([])
    w.observe(ev("stream_down", 0, slot="host"))
    w.configure([plan("down", {"stream_down": {"for": "5s"}})])
    assert ids(w.tick(6)) == ["down"]
