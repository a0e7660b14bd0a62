"""Fair draws: equal chances over many draws, distinct winners; `liveroom verify-draw` on real and tampered rows."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

from scipy.stats import chisquare
from sqlalchemy import update

from media.hub.lottery import draw
from media.store.models import Draw

from .harness import MakeStage

LIVEROOM = str(Path(sys.executable).with_name("liveroom"))


def test_every_entrant_has_the_same_chance_and_winners_are_distinct() -> None:
    entrants = sorted(f"viewer-{i:02d}" for i in range(17))  # 17: not a power of two, so bias would show
    winners = 3
    draws = 12_000
    picked: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for n in range(draws):
        chosen = draw(f"seed-{n}", entrants, winners)
        assert len(chosen) == winners and len(set(chosen)) == winners
        picked.update(chosen)
        first[chosen[0]] += 1
    expected = draws * winners / len(entrants)
    inclusion = chisquare([picked[e] for e in entrants], [expected] * len(entrants))
    assert inclusion.pvalue > 0.001, (inclusion, picked)
    firsts = chisquare([first[e] for e in entrants])
    assert firsts.pvalue > 0.001, (firsts, first)
    # the first and the last entrant (the classic off-by-one victims) are not special
    assert abs(picked[entrants[0]] - expected) < 5 * expected**0.5
    assert abs(picked[entrants[-1]] - expected) < 5 * expected**0.5
    # more winners than entrants: everyone wins once
    assert sorted(draw("s", entrants[:4], 10)) == entrants[:4]


async def _verify(url: str, draw_id: int) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        LIVEROOM,
        "verify-draw",
        str(draw_id),
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_verify_draw_confirms_a_real_draw_and_catches_tampering(
    make_stage: MakeStage,
    make_database_url,  # type: ignore[no-untyped-def]
) -> None:
    url = await make_database_url("sqlite")
    stage = await make_stage(url=url)
    await stage.runner.start("mini")
    viewers = [await stage.viewer(f"观众{i}") for i in range(6)]
    await stage.play(until=21.0)  # the 福袋 `bag` is open (keyword 好物, 2 winners)
    for v in viewers:
        await v.send({"type": "chat", "text": "好物"})
    await stage.viewer_lines(6)
    await stage.play(until=61.0)  # drawn at 60
    drawn = next(e for e in stage.events if e.kind == "lottery_drawn")
    draw_id = int(drawn.data["draw_id"])
    assert len(drawn.data["winners"]) == 2

    code, out = await _verify(url, draw_id)
    assert code == 0 and "✔ 抽奖结果可复现" in out, out
    assert "6 人参与" in out

    winners = list(drawn.data["winners"])
    async with stage.db.sessions() as s, s.begin():
        row = await s.get(Draw, draw_id)
        assert row is not None
        loser = next(v for v in row.entrants if v not in winners)  # swap a winner for someone who lost
        await s.execute(update(Draw).where(Draw.id == draw_id).values(winners=[loser, winners[1]]))
    code, out = await _verify(url, draw_id)
    assert code == 1 and "winners" in out and "announced" in out, out

    async with stage.db.sessions() as s, s.begin():
        await s.execute(update(Draw).where(Draw.id == draw_id).values(winners=winners, seed="0" * 64))
    code, out = await _verify(url, draw_id)
    assert code == 1 and "seed_hash" in out, out

    code, out = await _verify(url, 999_999)
    assert code == 1 and "999999" in out
