"""`liveroom report` on the hand-built run stored in a database: JSON, terminal, HTML and CSV agree with
the KPIs worked out by hand in test_kpi_handbuilt.py."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.review.load import find_run, review_run
from bot.review.windows import place_segments
from media.store.db import Database

from .handbuilt import END, EVENTS, SCRIPT, SPEED, START, at
from .seed import RULES_PRODUCTS, RULES_ROOM, RULES_SHOW, seed_run


def write_rules(root: Path) -> Path:
    (root / "shows").mkdir(parents=True)
    (root / "room.yaml").write_text(RULES_ROOM, encoding="utf-8")
    (root / "products.yaml").write_text(RULES_PRODUCTS, encoding="utf-8")
    (root / "shows" / "hand.yaml").write_text(RULES_SHOW, encoding="utf-8")
    return root


async def test_a_stored_run_reviews_like_the_hand_built_log(database: Database) -> None:
    run_id = await seed_run(database, "hand", EVENTS, START, END, speed=SPEED)
    async with database.sessions() as session:
        run = await find_run(session, "hand")
    assert run.id == run_id and run.started_at == START
    review = await review_run(database, run, SCRIPT)
    show = review.show
    # The prelude (D already connected, KETTLE-02 already pinned) and the late order come along.
    assert (show.unique_viewers, show.watch.numerator, show.peak_concurrent) == (5, 1350.0, 4)
    assert (show.orders, show.gmv) == (5, Decimal("709.00"))
    assert [p.exposed for p in review.products] == [4, 3]
    assert [s.kpis.unique_viewers for s in review.segments] == [5, 3]


def test_segments_move_to_where_the_runner_started_them() -> None:
    late = {"reveal": at("5:30")}
    warm, reveal = place_segments(SCRIPT, START, SPEED, END, late)
    assert (warm.end - START).total_seconds() == 300  # the next segment had not started yet
    assert (reveal.start - START).total_seconds() == 330 and reveal.end == END


@pytest.fixture
def stored_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path / 'review.db'}"

    async def seed() -> None:
        async with Database.open(url) as db:
            await db.migrate()
            await seed_run(db, "hand", EVENTS, START, END, speed=SPEED)

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", url)
    return write_rules(tmp_path / "rules")


def test_report_json_has_the_hand_computed_kpis(stored_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "hand", "--rules", str(stored_run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run_id"] == 1 and report["show_id"] == "hand"
    assert report["unique_viewers"] == 5
    assert report["peak_concurrent"] == 4 and report["peak_at"] == 60.0
    assert report["avg_watch_seconds"] == 270.0
    assert report["ctr"] == 0.8 and report["ratios"]["ctr"] == {"numerator": 4, "denominator": 5}
    assert report["conversion"] == 0.8
    assert report["orders"] == 5 and report["gmv"] == 709.0 and report["gmv_per_viewer"] == 141.8
    assert report["interaction_rate"] == 0.8
    assert report["bot"] == {
        "answered": 1,
        "abstained": 1,
        "escalated": 1,
        "suggested": 0,
        "suggested_sent": 0,
        "suggested_edited": 0,
        "dismissed": 0,
        "handed_over": 1,
    }
    assert report["median_human_answer_seconds"] == 60.0
    warm, reveal = report["segments"]
    assert (warm["kind"], warm["unique_viewers"], warm["avg_watch_seconds"], warm["gmv"]) == (
        "暖场",
        5,
        162.0,
        472.0,
    )
    assert (reveal["kind"], reveal["ctr"], reveal["gmv_per_viewer"], reveal["product"]) == (
        "产品亮相",
        0.0,
        52.67,
        "PAN-01",
    )
    kettle, pan = report["products"]
    assert kettle["name"] == "电热水壶" and kettle["ctr"] == 0.5 and kettle["gmv_per_viewer"] == 59.25
    assert pan["funnel"] == {"exposed": 3, "clicked": 2, "bought": 2}
    assert pan["ratios"]["ctr"] == {"numerator": 2, "denominator": 3}
    for obj in [report, *report["segments"], *report["products"]]:
        for key in ("ctr", "conversion", "buyer_rate"):
            assert 0.0 <= obj[key] <= 1.0


def test_report_terminal_html_and_csv(
    stored_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, folder = tmp_path / "r.html", tmp_path / "csv"
    assert (
        main(["report", "hand", "--rules", str(stored_run), "--html", str(html), "--csv", str(folder)]) == 0
    )
    out = capsys.readouterr().out
    assert "复盘：手算场" in out and "整场指标" in out and "分环节" in out and "分商品" in out
    assert "80.0% (4/5)" in out and "709.00" in out and "4m30s" in out

    page = html.read_text(encoding="utf-8")
    assert len(re.findall(r'<figure class="chart" data-chart="(\w+)"><svg', page)) == 4
    assert not re.search(r'(src|href)=["\']?(https?:)?//', page)  # nothing fetched from elsewhere
    assert "<script" not in page

    names = sorted(p.name for p in folder.iterdir())
    assert names == ["coupons.csv", "lotteries.csv", "products.csv", "segments.csv", "show.csv", "votes.csv"]
    with (folder / "products.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, kettle = rows[0], rows[1]
    assert header[:2] == ["SKU", "商品"]
    row = dict(zip(header, kettle, strict=True))
    assert row["商品点击率"] == "0.5" and row["商品点击率 分子"] == "2" and row["商品点击率 分母"] == "4"
    assert row["成交额 (¥)"] == "237.00" and row["UV价值 (¥)"] == "59.25"  # amounts stay numbers


def test_report_names_a_missing_run(stored_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "hand", "--rules", str(stored_run), "--run", "7"]) == 1
    assert "没有场次 7" in capsys.readouterr().err
    assert main(["report", "nope", "--rules", str(stored_run)]) == 1
    assert "还没有开播记录" in capsys.readouterr().err
