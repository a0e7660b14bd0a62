"""The alert rules, one at a time: thresholds, cooldowns, quiet hours, texts (no network, no clock)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.alerts.rules import RoomAlerts, WaitingQuestion, in_quiet_hours
from bot.rules import load_rulebook
from bot.rules.models import AlertsFile
from media.hub.events import RoomEvent

UTC = dt.UTC
# 2026-01-10 20:00:00 UTC: outside the example quiet hours (01:00-09:00)
EVENING = dt.datetime(2026, 1, 10, 20, 0, tzinfo=UTC).timestamp()
NIGHT = dt.datetime(2026, 1, 10, 3, 0, tzinfo=UTC).timestamp()
RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


def alerts_file(**rules: dict[str, Any]) -> AlertsFile:
    return AlertsFile.model_validate({"quiet_hours": "01:00-09:00", "rules": rules})


def room(file: AlertsFile | None = None, **kwargs: Any) -> RoomAlerts:
    return RoomAlerts("demo", file or alerts_file(), tz=UTC, **kwargs)


def ev(
    event_kind: str, ts: float, run_id: int | None = None, viewer_id: str | None = None, **data: Any
) -> RoomEvent:
    return RoomEvent("demo", event_kind, ts, viewer_id, data, run_id)


def test_stream_down_after_threshold_then_back_up() -> None:
    r = room(alerts_file(stream_down={"after": "5s", "cooldown": "30s"}))
    assert r.observe(ev("stream_stopped", EVENING, stream="host", reason="connection_failed")) == []
    assert r.tick(EVENING + 4) == []
    [down] = r.tick(EVENING + 5)
    assert down.kind == "stream_down" and down.severity == "critical"
    assert "推流中断" in down.text and down.key.startswith("demo:stream_down:")
    assert r.tick(EVENING + 6) == []  # once per outage
    [up] = r.observe(ev("stream_started", EVENING + 20, stream="host"))
    assert up.kind == "stream_up" and "已恢复" in up.text and "20" in up.text


def test_short_blip_and_deliberate_stop_say_nothing() -> None:
    r = room()
    r.observe(ev("stream_stopped", EVENING, stream="host", reason="connection_failed"))
    assert r.observe(ev("stream_started", EVENING + 2, stream="host")) == []
    assert r.tick(EVENING + 10) == []
    r.observe(ev("stream_stopped", EVENING + 20, slot="host", reason="ended_by_host"))
    assert r.tick(EVENING + 60) == []
    r.observe(ev("stream_stopped", EVENING + 70, stream="guest", reason="connection_failed"))
    assert r.tick(EVENING + 90) == []


def test_stream_down_cooldown_holds_second_outage_and_its_back_up() -> None:
    r = room(alerts_file(stream_down={"after": "5s", "cooldown": "5m"}))
    r.observe(ev("stream_stopped", EVENING, stream="host"))
    assert len(r.tick(EVENING + 5)) == 1
    assert len(r.observe(ev("stream_started", EVENING + 10, stream="host"))) == 1
    r.observe(ev("stream_stopped", EVENING + 30, stream="host"))
    assert r.tick(EVENING + 40) == []  # within 5 minutes of the last "down"
    assert r.observe(ev("stream_started", EVENING + 50, stream="host")) == []
    r.observe(ev("stream_stopped", EVENING + 400, stream="host"))
    assert len(r.tick(EVENING + 406)) == 1


def test_stream_down_is_critical_so_it_speaks_in_quiet_hours() -> None:
    r = room()
    r.observe(ev("stream_stopped", NIGHT, stream="host"))
    assert [a.kind for a in r.tick(NIGHT + 6)] == ["stream_down"]


def health(bitrate: float, fps: float) -> dict[str, Any]:
    return {"bitrate_kbps": bitrate, "fps": fps, "width": 1280, "height": 720}


def test_quality_low_for_n_seconds() -> None:
    r = room(alerts_file(stream_quality_low={"min_bitrate_kbps": 800, "min_fps": 20, "for": "15s"}))
    assert r.observe(ev("stream_health", EVENING, **health(2500, 30))) == []
    assert r.observe(ev("stream_health", EVENING + 5, **health(500, 30))) == []
    assert r.observe(ev("stream_health", EVENING + 15, **health(600, 30))) == []
    [low] = r.observe(ev("stream_health", EVENING + 20, **health(700, 30)))
    assert "700 kbps" in low.text and "800" in low.text and low.severity == "warning"
    assert r.observe(ev("stream_health", EVENING + 25, **health(700, 30))) == []  # once per episode


def test_quality_recovering_resets_the_timer_and_nested_media_samples_count() -> None:
    r = room(alerts_file(stream_quality_low={"min_fps": 20, "for": "10s", "cooldown": 0}))
    r.observe(ev("stream_health", EVENING, host=health(2500, 10)))
    r.observe(ev("stream_health", EVENING + 8, host=health(2500, 30)))
    assert r.observe(ev("stream_health", EVENING + 12, host=health(2500, 10))) == []
    [low] = r.observe(ev("stream_health", EVENING + 22, host=health(2500, 12)))
    assert "12" in low.text
    assert r.observe(ev("stream_health", EVENING + 23, host=None)) == []


def presence(ts: float, online: int, instance: str = "i-1") -> RoomEvent:
    return ev("presence", ts, online=online, viewers=online, instance=instance)


def test_viewers_drop_by_percent_within_window() -> None:
    r = room(
        alerts_file(
            viewers_drop={"percent": 30, "window": "1m", "cooldown": "5m"}, new_peak={"enabled": False}
        )
    )
    assert r.observe(presence(EVENING, 100)) == []
    assert r.observe(presence(EVENING + 5, 80)) == []  # -20 %
    [drop] = r.observe(presence(EVENING + 10, 70))  # -30 % of the window's 100
    assert "100" in drop.text and "70" in drop.text and "30%" in drop.text
    assert r.observe(presence(EVENING + 15, 40)) == []  # cooldown


def test_slow_decline_outside_the_window_is_not_a_drop() -> None:
    r = room(alerts_file(viewers_drop={"percent": 30, "window": "1m"}, new_peak={"enabled": False}))
    alerts = []
    for i in range(20):  # -2 per 30 s: never -30 % within one minute
        alerts += r.observe(presence(EVENING + 30 * i, 100 - 2 * i))
    assert alerts == []


def test_small_rooms_do_not_drop() -> None:
    r = room(alerts_file(viewers_drop={"percent": 30}))
    r.observe(presence(EVENING, 6))
    assert r.observe(presence(EVENING + 5, 2)) == []


def test_presence_adds_up_instances() -> None:
    r = room(alerts_file(new_peak={"min_viewers": 50, "cooldown": 0}))
    assert r.observe(presence(EVENING, 30, "a")) == []
    [peak] = r.observe(presence(EVENING + 1, 25, "b"))
    assert "55" in peak.text


def test_new_peak_min_viewers_and_cooldown() -> None:
    r = room(alerts_file(new_peak={"min_viewers": 50, "cooldown": "5m"}))
    assert r.observe(presence(EVENING, 40)) == []
    [a] = r.observe(presence(EVENING + 5, 60))
    assert a.kind == "new_peak" and "60" in a.text and a.severity == "info"
    assert r.observe(presence(EVENING + 10, 70)) == []  # cooldown
    assert r.observe(presence(EVENING + 300, 65)) == []  # not a peak
    [b] = r.observe(presence(EVENING + 310, 90))
    assert "90" in b.text


def test_quiet_hours_silence_non_critical_and_rule_overrides() -> None:
    r = room(alerts_file(new_peak={"min_viewers": 1, "cooldown": 0}))
    assert r.observe(presence(NIGHT, 60)) == []
    loud = room(alerts_file(new_peak={"min_viewers": 1, "cooldown": 0, "quiet_hours": "23:00-23:30"}))
    assert len(loud.observe(presence(NIGHT, 60))) == 1


def test_quiet_hours_wrap_midnight() -> None:
    at = dt.datetime(2026, 1, 1, 23, 30)
    assert in_quiet_hours("22:00-07:00", at)
    assert in_quiet_hours("22:00-07:00", at.replace(hour=6, minute=59))
    assert not in_quiet_hours("22:00-07:00", at.replace(hour=7, minute=0))
    assert not in_quiet_hours(None, at)


def test_disabled_rule_is_silent() -> None:
    r = room(alerts_file(coupon_sold_out={"enabled": False}))
    assert r.observe(ev("coupon_sold_out", EVENING, coupon_id="c1")) == []


def test_coupon_low_once_per_push_and_sold_out() -> None:
    r = room(
        alerts_file(coupon_low={"remaining_percent": 20, "cooldown": 0}, coupon_sold_out={"cooldown": 0})
    )
    r.observe(ev("coupon_pushed", EVENING, coupon_id="c1", title="满199减50", quantity=100))
    assert r.observe(ev("coupon_claimed", EVENING + 1, coupon_id="c1", remaining=21)) == []
    [low] = r.observe(ev("coupon_claimed", EVENING + 2, coupon_id="c1", remaining=20))
    assert "满199减50" in low.text and "20/100" in low.text
    assert r.observe(ev("coupon_claimed", EVENING + 3, coupon_id="c1", remaining=19)) == []
    [out] = r.observe(ev("coupon_sold_out", EVENING + 9, coupon_id="c1"))
    assert out.kind == "coupon_sold_out" and "满199减50" in out.text and "领光" in out.text


def test_lottery_result_names_winners() -> None:
    r = room()
    r.observe(ev("viewer_joined", EVENING, viewer_id="v-aaaaaaaa1", nickname="小明"))
    [a] = r.observe(
        ev("lottery_drawn", EVENING + 60, lottery_id="bag-1", draw_id=7, winners=["v-aaaaaaaa1"], entrants=40)
    )
    assert "小明" in a.text and "bag-1" in a.text and "40" in a.text and a.key == "demo:lottery_result:7"


def show_rulebook() -> Any:
    return load_rulebook(RULES_DIR)


def test_cue_upcoming_before_and_show_start_summary_end() -> None:
    book = show_rulebook()
    show_id = "demo"
    script = book.shows[show_id]
    file = alerts_file(cue_upcoming={"before": "2m", "kinds": ["countdown", "lottery"], "cooldown": 0})
    r = room(file, shows=book.shows)
    [started] = r.observe(ev("show_started", EVENING, run_id=3, show_id=show_id, run=3, speed=1.0))
    assert script.title in started.text and started.key == f"demo:show_started:3:{show_id}"
    upcoming = [c for c in script.timeline() if c.kind in ("countdown", "lottery")]
    assert upcoming, "the demo show has a countdown or a lottery"
    first = upcoming[0]
    assert r.tick(EVENING + first.offset - 121) == []
    alerts = r.tick(EVENING + first.offset - 120)
    assert [a.data["cue_id"] for a in alerts][:1] == [first.id]
    assert "2 分钟后开始" in alerts[0].text
    assert all(a.data["cue_id"] != first.id for a in r.tick(EVENING + first.offset - 60))
    # the summary counts what happened during the run
    r.observe(ev("viewer_joined", EVENING + 1, viewer_id="v1", nickname="a"))
    r.observe(ev("viewer_joined", EVENING + 2, viewer_id="v2", nickname="b"))
    r.observe(presence(EVENING + 5, 2))
    r.observe(ev("chat", EVENING + 6, viewer_id="v1", role="viewer", text="hi"))
    r.observe(ev("chat", EVENING + 6, role="bot", text="hi"))
    r.observe(ev("order", EVENING + 9, order_id="o1", sku="tea", quantity=1, amount="159.00"))
    r.observe(ev("order", EVENING + 9, order_id="o2", sku="tea", quantity=1, amount="40.50"))
    [ended] = r.observe(ev("show_ended", EVENING + 3600, run_id=3, show_id=show_id))
    lines = ended.text.splitlines()
    assert len(lines) == 6  # title + the five-line summary
    assert "60:00" in lines[1] and "2 人" in lines[2] and "聊天 1 条" in lines[3] and "¥199.50" in lines[5]


def test_cue_missed_and_fired_cues_are_not_announced() -> None:
    book = show_rulebook()
    r = room(
        alerts_file(
            cue_upcoming={"before": "2m", "kinds": ["say", "pin", "coupon", "vote", "lottery", "countdown"]}
        ),
        shows=book.shows,
    )
    r.observe(ev("show_started", EVENING, run_id=1, show_id="demo", speed=1.0))
    timeline = [c for c in book.shows["demo"].timeline() if c.offset >= 300]
    cue = timeline[0]
    r.observe(ev("cue_fired", EVENING + 10, run_id=1, cue_id=cue.id, kind=cue.kind))
    assert all(a.data.get("cue_id") != cue.id for a in r.tick(EVENING + cue.offset - 30))
    [missed] = r.observe(
        ev("cue_missed", EVENING + 100, run_id=1, cue_id="x-1", kind="coupon", scheduled_at=EVENING + 90)
    )
    assert "x-1" in missed.text and missed.key == "demo:cue_missed:1:x-1"


def test_english_room() -> None:
    r = room(lang="en")
    [a] = r.observe(ev("coupon_sold_out", EVENING, coupon_id="c9"))
    assert a.text == "Coupon sold out: c9"


def test_reload_failed_names_file_and_line_and_cools_down() -> None:
    r = room(alerts_file(rules_reload_failed={"cooldown": "5m"}))
    errors = [f"faq.yaml:{i}: a: bad" for i in range(1, 14)]
    [a] = r.observe(ev("rules_reload_failed", EVENING, errors=errors))
    assert "faq.yaml:1: a: bad" in a.text and "faq.yaml:10:" in a.text and "faq.yaml:11:" not in a.text
    assert "还有 3 处" in a.text
    assert r.observe(ev("rules_reload_failed", EVENING + 60, errors=errors)) == []


def waiting(n: int, since: float) -> list[WaitingQuestion]:
    return [WaitingQuestion(100 + i, f"观众{i}", f"问题{i}", since + i) for i in range(n)]


def test_questions_digest_count_oldest_and_wait() -> None:
    r = room(
        alerts_file(questions_waiting={"min_count": 3, "digest_every": "2m", "oldest": 2, "cooldown": "2m"})
    )
    assert r.tick(EVENING + 10, waiting(2, EVENING)) == []  # 2 < 3 and not 2 minutes yet
    [d] = r.tick(EVENING + 30, waiting(3, EVENING))
    assert "3 个问题" in d.text and "0:30" in d.text
    assert "#100 观众0：问题0" in d.text and "#101" in d.text and "#102" not in d.text
    assert r.tick(EVENING + 60, waiting(5, EVENING)) == []  # next digest after 2 minutes
    [again] = r.tick(EVENING + 151, waiting(1, EVENING + 10))  # one question, waiting over 2 minutes
    assert "1 个问题" in again.text
    assert r.tick(EVENING + 400, []) == []


def test_example_alerts_yaml_loads() -> None:
    r = room(load_rulebook(RULES_DIR).alerts)
    r.observe(ev("stream_stopped", EVENING, stream="host"))
    assert len(r.tick(EVENING + 5)) == 1


def test_restream_failure_alerts_the_team_once_per_cooldown() -> None:
    r = room(alerts_file(restream_failed={"cooldown": "5m"}))
    data = {"target": "https://live.example.com/whip/x", "error": "WHIP 401: bad token", "retry_in_s": 2.0}
    [out] = r.observe(ev("restream_failed", EVENING, failures=1, **data))
    assert out.kind == "restream_failed" and out.severity == "warning"
    assert "转推中断" in out.text and "WHIP 401" in out.text and "2 秒后重试" in out.text
    assert r.observe(ev("restream_failed", EVENING + 60, failures=2, **data)) == []  # within the cooldown
    assert len(r.observe(ev("restream_failed", EVENING + 400, failures=5, **data))) == 1
    off = room(alerts_file(restream_failed={"enabled": False}))
    assert off.observe(ev("restream_failed", EVENING, failures=1, **data)) == []


def test_a_product_selling_out_alerts_the_team_with_its_name() -> None:
    r = room(products={"PAN-01": "不粘炒锅"})
    [out] = r.observe(ev("product_out_of_stock", EVENING, run_id=3, sku="PAN-01", stock=2, sold=3))
    assert out.kind == "product_out_of_stock" and out.severity == "warning"
    assert out.text == "商品卖完了：不粘炒锅（PAN-01），已下单 3 件，库存 2 件。请下架或补库存"
    # Once per product per run is the event's job; the rule reports each one (cooldown 0), per product.
    assert (
        len(r.observe(ev("product_out_of_stock", EVENING + 1, run_id=3, sku="TEA-05", stock=5, sold=5))) == 1
    )
    unknown = room().observe(ev("product_out_of_stock", EVENING, sku="X-9", stock=1, sold=1))
    assert unknown[0].text.startswith("商品卖完了：X-9，已下单 1 件")
    english = room(products={"PAN-01": "Wok"}, lang="en")
    assert english.observe(ev("product_out_of_stock", EVENING, sku="PAN-01", stock=2, sold=2))[0].text == (
        "Sold out: Wok (PAN-01), 2 ordered of 2 in stock. Take it off or restock"
    )
    off = room(alerts_file(product_out_of_stock={"enabled": False}))
    assert off.observe(ev("product_out_of_stock", EVENING, sku="PAN-01", stock=2, sold=2)) == []
