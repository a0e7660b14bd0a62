"""The numbers a 复盘 meeting reads, pinned on hand-built logs: the vote's winner by its option's name,
retention counting who was still watching when the run ended, every metric row labelled, amounts with
the room's currency and times on the room's clock, and a warning when a rehearsal is compared with a
real show (never a raw message key)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.cli import main
from bot.review.compare import compare, row_label
from bot.review.export import RunInfo, to_json
from bot.review.html import render_html
from bot.review.kpi import compute
from bot.review.terminal import comparison_tables, print_comparison, print_review
from bot.review.windows import segment_windows
from media.events import RoomEvent
from media.store.db import Database

from .handbuilt import END, EVENTS, SCRIPT, SPEED, START
from .seed import seed_run
from .test_report_cli import write_rules

T0 = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)  # 20:00 in Asia/Shanghai


def ev(seconds: float, kind: str, viewer: str | None = None, **data: Any) -> RoomEvent:
    return RoomEvent.at(T0 + dt.timedelta(seconds=seconds), kind, viewer, data)


OPTIONS = ["轻薄白鸭绒羽绒服", "加厚法兰绒毛毯 150×200cm", "高山红茶礼盒 250g"]
LOG = [
    *(ev(0, "viewer_joined", v, connection_id=f"{v}1") for v in "ABCDE"),
    ev(10, "vote_opened", vote_id="finale-pick", question="压轴要哪个？", options=OPTIONS),
    ev(20, "ballot", "A", vote_id="finale-pick", option=0),
    ev(21, "ballot", "B", vote_id="finale-pick", option=0),
    ev(22, "ballot", "C", vote_id="finale-pick", option=2),
    # the room logs the winner as the option's index, as the live page showed 胜出：轻薄白鸭绒羽绒服
    ev(60, "vote_closed", vote_id="finale-pick", tallies=[2, 0, 1], winner=0),
    ev(100, "viewer_left", "A", connection_id="A1"),
    ev(150, "viewer_left", "B", connection_id="B1"),
    ev(200, "show_ended", show_id="x", run_id=1, speed=1.0, reason="stopped"),
    # the demo's Ctrl-C: the run ended first, then the audience left
    *(ev(201, "viewer_left", v, connection_id=f"{v}1") for v in "CDE"),
]
END_AT = T0 + dt.timedelta(seconds=200)


def test_the_vote_winner_is_the_options_name_and_retention_counts_who_stayed() -> None:
    review = compute(LOG, T0, END_AT)
    [vote] = review.votes
    assert vote.winner == "轻薄白鸭绒羽绒服"
    assert vote.tallies == (
        ("轻薄白鸭绒羽绒服", 2),
        ("加厚法兰绒毛毯 150×200cm", 0),
        ("高山红茶礼盒 250g", 1),
    )
    assert (review.show.retention.numerator, review.show.retention.denominator) == (3, 5)
    assert review.online_now == 3

    info = RunInfo("x", "场")
    assert to_json(review, info)["votes"][0]["winner"] == "轻薄白鸭绒羽绒服"
    console = Console(record=True, width=200)
    print_review(review, info, "zh-CN", console)
    text = console.export_text()
    assert "轻薄白鸭绒羽绒服 2 · 加厚法兰绒毛毯 150×200cm 0 · 高山红茶礼盒 250g 1" in text
    assert re.search(r"留存率\s+60\.0% \(3/5\)", text)
    assert re.search(r"finale-pick .* 轻薄白鸭绒羽绒服 ", text)


def test_every_row_says_which_metric_it_is_amounts_have_the_sign_times_the_room_clock() -> None:
    windows = segment_windows(SCRIPT, START, SPEED, END)
    review = compute(EVENTS, START, END, windows, SPEED)
    console = Console(record=True, width=220)
    print_review(review, RunInfo("hand", "手算场", run_id=1, speed=SPEED), "zh-CN", console)
    text = console.export_text()
    # START is 12:00 UTC: the room's clock (Asia/Shanghai by default) reads 20:00
    assert "2026-11-28 20:00 (Asia/Shanghai) 开播" in text
    segments = text[text.index("分环节") :]
    head = segments.splitlines()[2]
    assert head.split()[:3] == ["指标", "warm", "reveal"], head
    for label in ("环节", "类型", "时间", "开始时刻", "观看人数", "留存率", "成交额"):
        assert re.search(rf"^\s+{label}\s", segments, re.M), label
    assert re.search(r"开始时刻\s+20:00:00\s+20:05:00", segments)
    assert "¥709.00" in text and "¥141.80" in text  # GMV and UV价值
    assert not re.search(r"(?<![¥$\d.])709\.00", text)

    html = render_html(review, RunInfo("hand", "手算场", run_id=1, speed=SPEED), "zh-CN")
    assert "2026-11-28 20:00:00 (Asia/Shanghai)" in html and "¥709.00" in html
    assert "<td>20:05:00</td>" in html  # the reveal segment on the room's clock

    elsewhere = RunInfo("hand", "手算场", run_id=1, speed=SPEED, timezone="Europe/London", currency="USD")
    console = Console(record=True, width=220)
    print_review(review, elsewhere, "en", console)
    text = console.export_text()
    assert "started 2026-11-28 12:00 (Europe/London)" in text and "$709.00" in text and "¥" not in text
    assert to_json(review, elsewhere)["started_at"] == "2026-11-28T12:00:00+00:00"
    assert to_json(review, RunInfo("hand"))["started_at"] == "2026-11-28T20:00:00+08:00"


def test_compare_warns_about_speed_and_labels_every_row() -> None:
    windows = segment_windows(SCRIPT, START, SPEED, END)
    rehearsal = compute(EVENTS, START, END, windows, speed=6.0)
    real = compute(EVENTS, START, END, windows, speed=1.0)
    comparison = compare(["demo#1", "hand#1"], [rehearsal, real], "zh-CN")
    [warning] = comparison.warnings
    assert "demo#1 6×、hand#1 1×" in warning and "人均观看时长" in warning and "不能直接对比" in warning
    assert not any("人均观看时长" in line for line in comparison.highlights)
    assert compare(["a", "b"], [real, real], "zh-CN").warnings == ()

    for row in (*comparison.show, *comparison.kinds, *comparison.products):
        label = row_label(row.key, "zh-CN")
        assert label and not label.startswith("review.") and label != row.key, row.key
    console = Console(record=True, width=240)
    print_comparison(comparison, "zh-CN", console)
    text = console.export_text()
    assert "review." not in text and "曝光人数" in text and "⚠ 这几场的倍速不同" in text
    assert comparison_tables(comparison, "en")  # the English labels exist too


@pytest.fixture
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path / 'runs.db'}"

    async def seed() -> None:
        async with Database.open(url) as db:
            await db.migrate()
            await seed_run(db, "hand", EVENTS, START, END, speed=6.0)
            later = dt.timedelta(days=1)
            moved = [RoomEvent.at(e.when + later, e.kind, e.viewer_id, dict(e.data)) for e in EVENTS]
            await seed_run(db, "hand", moved, START + later, END + later, speed=1.0)

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", url)
    return write_rules(tmp_path / "rules")


def test_compare_one_show_compares_its_runs_with_the_warning(
    two_runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "hand", "--rules", str(two_runs), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["labels"] == ["hand#1", "hand#2"] and out["speeds"] == [6.0, 1.0]
    assert out["warnings"] and all(row["label"] and "review." not in row["label"] for row in out["show"])
    assert main(["compare", "hand", "--rules", str(two_runs)]) == 0
    text = capsys.readouterr().out
    assert "倍速不同" in text and "review." not in text
