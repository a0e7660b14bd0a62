"""`liveroom brief`: every line the team reads has its placeholders filled — the product's name and
prices as the show sells them, coupon titles, and for a segment whose product a vote will choose, a word
saying so (the real name is filled on air)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
RAW = re.compile(r"\{(name|price|live_price|stock|coupon:[a-z0-9-]+)\}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_demo_brief_has_no_raw_placeholder(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["brief", "demo", "--rules", str(ROOT / "rules"), "--lang", lang]) == 0
    text = capsys.readouterr().out
    assert not RAW.findall(text), RAW.findall(text)
    if lang == "zh-CN":
        # pan-reveal pins PAN-01 (299, live 159, stock 300)
        assert "1 号链接「麦饭石不粘炒锅 32cm」来了！日常价 299 元，今晚直播间只要 159 元！" in text
        assert "直播间价 159 元，这一批只有 300 口" in text
        assert "新人券「新人无门槛5元」已经发了" in text
        # the finale's product is the vote's winner, decided live
        assert "你们投票选出的是「〈投票“finale-pick”胜出的商品〉」，日常价 〈胜出商品的日常价〉 元" in text
    else:
        assert "‹the winner of vote “finale-pick”›" in text
