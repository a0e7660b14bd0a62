"""`liveroom plan`: a clean week prints no warning; each planted conflict is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BaseRules

from bot.cli import main

CLEAN_SHOW = """\
title: 周末专场
theme: 冬日厨房
starts_at: 2026-11-29T19:30:00+08:00
segments:
  - id: open
    kind: 暖场
    duration: 10m
    product: PAN-01
    cues:
      - at: 1m
        countdown: {title: 炒锅秒杀, duration: 2m, product: PAN-01, stock: 30}
"""


# Cover the tea box in the FAQ so the base week is clean.
TEA_FAQ = "\n- id: tea-origin\n  product: TEA-05\n  q: [茶叶产地是哪里]\n  a: 福建武夷山\n"


def test_clean_week_prints_no_warning(
    tmp_path: Path, base_rules: BaseRules, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = base_rules(append={"faq.yaml": TEA_FAQ})
    (rules / "shows" / "weekend.yaml").write_text(CLEAN_SHOW, encoding="utf-8")
    html = tmp_path / "plan.html"

    code = main(["plan", "--rules", str(rules), "--week", "2026-W48", "--html", str(html)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "没有发现冲突" in out
    assert "冲突：" not in out
    assert "11-28 周六 20:00–20:15  测试场" in out
    assert "11-29 周日 19:30–19:40  周末专场" in out
    assert "炒锅" in out and "计划/planned 50" not in out  # planned units are per show: 20 and 30
    page = html.read_text(encoding="utf-8")
    assert "周末专场" in page and "<script" not in page


def test_each_planted_conflict_is_named(
    tmp_path: Path, base_rules: BaseRules, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = base_rules(append={"faq.yaml": TEA_FAQ})
    planted = (
        CLEAN_SHOW.replace("starts_at: 2026-11-29T19:30:00+08:00", "starts_at: 2026-11-28T20:10:00+08:00")
        .replace("stock: 30}", "stock: 90}")
        .replace("segments:", "prices: {PAN-01: 139}\nsegments:")
    )
    planted += """\
      - at: 3m
        lottery: {id: big-prize, prize: 电动车, winners: 2, window: 2m, prize_value: 30000}
      - at: 4m
        pin: KETTLE-02
"""
    products = rules / "products.yaml"
    products.write_text(
        products.read_text(encoding="utf-8")
        + "\n- sku: KETTLE-02\n  name: 电热水壶\n  price: 129\n  link: https://shop.example.com/kettle\n",
        encoding="utf-8",
    )
    (rules / "shows" / "weekend.yaml").write_text(planted, encoding="utf-8")

    code = main(["plan", "--rules", str(rules), "--week", "2026-W48"])

    out = capsys.readouterr().out
    assert code == 1
    assert "发现 5 个冲突" in out, out
    assert "价格冲突：不粘炒锅（PAN-01）" in out and "139 元（weekend）" in out and "159 元（s）" in out
    assert "库存不足：不粘炒锅（PAN-01）本周计划卖 110 件，库存只有 100 件" in out
    assert "场次重叠：s（11-28 20:00–20:15）与 weekend（11-28 20:10–20:20）" in out
    assert "抽奖预算超限：weekend 的奖品总值 60,000 元" in out
    assert "FAQ 缺失：weekend 要讲的 电热水壶（KETTLE-02）" in out


def test_other_weeks_and_bad_week(
    tmp_path: Path, base_rules: BaseRules, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = base_rules(append={"faq.yaml": TEA_FAQ})
    assert main(["plan", "--rules", str(rules), "--week", "2026-W50"]) == 0
    assert "这一周没有安排直播" in capsys.readouterr().out
    assert main(["plan", "--rules", str(rules), "--week", "next week"]) == 2
    assert "2026-W48" in capsys.readouterr().err


def test_english(tmp_path: Path, base_rules: BaseRules, capsys: pytest.CaptureFixture[str]) -> None:
    rules = base_rules(append={"faq.yaml": TEA_FAQ})
    assert main(["plan", "--rules", str(rules), "--week", "2026-W48", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Week plan 2026-W48" in out and "11-28 Sat 20:00" in out and "No conflicts" in out
