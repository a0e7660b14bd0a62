"""Two simulated shows that differ by design — the same products and length, but one spends five minutes
showing the pan in use (体验分享) — compared: the comparison names that difference in its highlights."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.review.compare import compare
from bot.review.kpi import compute
from bot.review.windows import segment_windows
from bot.rules import Rulebook, load_rulebook
from bot.sim.simulate import plan_audience
from bot.sim.synthetic import synthesize_log

ROOT = Path(__file__).resolve().parent.parent.parent

PLAIN = """
title: 平铺直叙场
starts_at: 2026-12-05T20:00:00+08:00
segments:
  - {id: warm, kind: 暖场, duration: 5m, cues: [{at: 30s, coupon: newbie-5}]}
  - {id: pan, kind: 产品亮相, duration: 10m, product: PAN-01}
  - {id: bye, kind: 收尾, duration: 5m}
"""
DEMO = """
title: 现场演示场
starts_at: 2026-12-06T20:00:00+08:00
segments:
  - {id: warm, kind: 暖场, duration: 5m, cues: [{at: 30s, coupon: newbie-5}]}
  - {id: pan, kind: 产品亮相, duration: 5m, product: PAN-01}
  - {id: pan-demo, kind: 体验分享, title: 现场煎蛋不粘, duration: 5m, product: PAN-01}
  - {id: bye, kind: 收尾, duration: 5m}
"""


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(ROOT / "rules", root)
    (root / "shows" / "plain.yaml").write_text(PLAIN, encoding="utf-8")
    (root / "shows" / "pan-demo.yaml").write_text(DEMO, encoding="utf-8")
    return root


def simulated(rulebook: Rulebook, show: str, viewers: int = 600, seed: int = 11):
    start = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    script = rulebook.shows[show]
    end = start + dt.timedelta(seconds=script.length)
    log = synthesize_log(rulebook, show, plan_audience(rulebook, show, viewers, seed), start)
    return compute(log, start, end, segment_windows(script, start, 1.0, end))


def test_the_same_seed_gives_the_same_kpis(rules_dir: Path) -> None:
    book = load_rulebook(rules_dir)
    assert simulated(book, "pan-demo") == simulated(book, "pan-demo")
    assert simulated(book, "pan-demo", seed=12).show != simulated(book, "pan-demo").show


def test_highlights_name_the_demo_segment(rules_dir: Path) -> None:
    book = load_rulebook(rules_dir)
    plain, demo = simulated(book, "plain"), simulated(book, "pan-demo")
    assert demo.show.ctr.value > plain.show.ctr.value  # the design works on the synthetic crowd
    result = compare(["plain", "pan-demo"], [plain, demo])
    text = "\n".join(result.highlights)
    assert "只有 pan-demo 有「体验分享」环节" in text
    assert "pan-demo 的商品点击率比 plain 高" in text
    kinds = {row.group for row in result.kinds}
    assert kinds == {"暖场", "产品亮相", "体验分享", "收尾"}
    ctr = next(row for row in result.kinds if row.group == "体验分享" and row.key == "ctr")
    assert ctr.values[0] is None and ctr.values[1] is not None


def test_liveroom_compare_on_two_simulated_runs(
    rules_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    rules = ["--rules", str(rules_dir)]
    assert main(["simulate", "plain", "--viewers", "400", "--seed", "5", "--speed", "60", *rules]) == 0
    assert main(["simulate", "pan-demo", "--viewers", "400", "--seed", "5", "--speed", "60", *rules]) == 0
    assert "场次 2" in capsys.readouterr().out
    assert main(["compare", "plain", "pan-demo", *rules]) == 0
    out = capsys.readouterr().out
    assert "整场对比" in out and "按环节类型对比" in out and "按商品对比" in out
    highlights = out[out.index("要点") :]
    assert "只有 pan-demo#2 有「体验分享」环节" in highlights
    assert "商品点击率比 plain#1 高" in highlights

    # The same seed again gives the same KPIs (a new run, the same numbers).
    assert main(["simulate", "plain", "--viewers", "400", "--seed", "5", "--speed", "60", *rules]) == 0
    capsys.readouterr()
    assert main(["compare", "plain@1", "plain@3", "--json", *rules]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert all(row["values"][0] == row["values"][1] for row in report["show"])
    assert report["highlights"] == ["plain#3 与 plain#1 的主要指标没有明显差别（都在 5% 以内）"]
