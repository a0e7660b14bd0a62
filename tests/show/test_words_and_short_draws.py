"""What people read about a run: the studio timeline and the host's next cue in words with every
placeholder filled (a vote's winner once it has chosen, a word for it before), and a 福袋 that could not
draw all its prizes saying so to the viewers, in the log, to the team and in the review."""

from __future__ import annotations

import re

from bot.alerts.rules import RoomAlerts
from bot.review.load import find_run, review_run
from bot.review.tables import build_tables
from bot.rules import load_rulebook
from bot.rules.models import AlertsFile
from bot.show.plan import firings
from bot.show.words import firing_text
from media.events import RoomEvent

from .harness import DATA, MakeStage

RAW = re.compile(r"\{(name|price|live_price|stock|coupon:[a-z0-9-]+)\}")


async def test_the_timeline_says_each_cue_in_words_with_its_placeholders_filled(
    make_stage: MakeStage,
) -> None:
    stage = await make_stage()
    await stage.runner.start("mini")
    await stage.play(until=16.0)  # the vote `pick` is open: the pitch segment's product is not chosen yet
    view = await stage.runner.timeline()
    texts = {c["key"]: c["text"] for c in view["cues"]}
    assert not [text for text in texts.values() if RAW.search(text)], texts
    assert texts["hello"] == "机器人说：“欢迎来到彩排小场！”"
    assert texts["open-7"] == "机器人说：“新人券「新人无门槛5元」记得领！”"
    assert texts["pitch-1"] == (
        "机器人说：“大家选的是「〈投票“pick”胜出的商品〉」，日常价 〈胜出商品的日常价〉 元，今晚 〈胜出商品的直播价〉 元！”"
    )
    assert view["next"]["text"] == texts[view["next"]["key"]]

    voter = await stage.viewer("投票的人")
    await voter.send({"type": "vote", "vote_id": "pick", "option": 1})  # TEA-05
    await voter.wait_for(lambda m: m["type"] == "vote_ack")
    await stage.play(until=50.0)  # the vote closed at 45
    texts = {c["key"]: c["text"] for c in (await stage.runner.timeline())["cues"]}
    tea = stage.holder.current.product("TEA-05")
    assert tea is not None and tea.live_price is not None
    assert texts["pitch-1"] == (
        f"机器人说：“大家选的是「{tea.name}」，日常价 {tea.price:g} 元，今晚 {tea.live_price:g} 元！”"
    )
    assert (
        texts["pitch:start"]
        == f"环节开始：{stage.holder.current.shows['mini'].segments[1].title or 'pitch'}（挂讲解卡 {tea.name}）"
    )


async def test_every_firing_of_the_demo_show_reads_without_a_raw_placeholder() -> None:
    book = load_rulebook(DATA.parent.parent.parent.parent / "rules")
    script = book.shows["demo"]

    async def undecided(vote_id: str) -> str | None:
        return None

    async def decided(vote_id: str) -> str | None:
        return "DOWN-03"

    for winner in (undecided, decided):
        for f in firings(script):
            text = await firing_text(f, book, script, winner)
            assert text and not RAW.search(text), (f.key, text)


async def test_a_short_draw_says_why_to_viewers_team_log_and_review(make_stage: MakeStage) -> None:
    stage = await make_stage()
    run = await stage.runner.start("mini")
    watcher = await stage.viewer("只看不抽")
    entrant = await stage.viewer("参与者")
    await stage.play(until=21.0)  # `bag` is open: 保温杯, 2 winners, keyword 好物
    await entrant.send({"type": "chat", "text": "好物"})
    await stage.viewer_lines(1)
    await stage.play(until=61.0)  # drawn at 60, one entrant for two prizes

    drawn = next(e for e in stage.events if e.kind == "lottery_drawn")
    assert (len(drawn.data["winners"]), drawn.data["eligible"], drawn.data["promised"]) == (1, 1, 2)
    note = "原定抽 2 位，但开奖时只有 1 位参与者符合条件（共 1 人参与），所以这一轮只抽出 1 位。"
    result = await watcher.wait_for(lambda m: m["type"] == "lottery_result")
    assert result["promised"] == 2 and result["short_note"] == note
    said = [e.data["text"] for e in stage.room_messages() if e.kind == "chat" and e.data.get("cue") == "bag"]
    assert said and said[-1].startswith("🎉 福袋「保温杯」开奖：恭喜 ") and said[-1].endswith(note)

    alerts = RoomAlerts(stage.room, AlertsFile(), lang="zh-CN")
    [alert] = alerts.observe(RoomEvent(stage.room, "lottery_drawn", drawn.ts, data=dict(drawn.data)))
    assert "原定 2 位，只有 1 位符合条件，少抽了 1 位" in alert.text

    async with stage.db.sessions() as s:
        row = await find_run(s, "mini", run.id)
    review = await review_run(stage.db, row, stage.holder.current.shows["mini"])
    [lottery] = review.lotteries
    assert lottery.short and (lottery.promised, lottery.eligible, lottery.winners) == (2, 1, 1)
    table = next(x for x in build_tables(review, "zh-CN") if x.name == "lotteries")
    assert table.formatted()[0][-1] == "原定抽 2 位，只有 1 位符合条件（共 1 人参与），只抽出 1 位"
