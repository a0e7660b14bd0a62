"""`liveroom faq gaps` on a simulated show (bot/sim): the questions handed to the team, grouped by
meaning with counts and a proposed entry each (the team's answer when it gave one); the HTML report
and the JSON have them, and the review counts what the team did with the bot's suggestions."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.review.gaps import group_by_meaning
from bot.rules import load_rulebook
from bot.sim.record import store_run
from bot.sim.simulate import Step, plan_audience
from bot.sim.synthetic import synthesize_log
from media.events import RoomEvent
from media.store.db import Database

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
# What viewers of the simulated show also typed, none of it in faq.yaml: three meanings, several wordings.
PARAPHRASES = [
    "今天播到几点呀",
    "几点下播啊",
    "今天播到几点呀",
    "有没有实体店",
    "线下有实体店吗",
    "實體店在哪裡",
    "你们是厂家吗",
]


def test_group_by_meaning_puts_paraphrases_together_and_keeps_topics_apart() -> None:
    texts = ["主播几点下播", "今天播到几点呀", "有没有实体店", "實體店在哪裡", "怎么退货", "几点下播"]
    groups = [[texts[i] for i in g] for g in group_by_meaning(texts)]
    assert sorted(map(sorted, groups)) == sorted(
        map(
            sorted,
            [["主播几点下播", "今天播到几点呀", "几点下播"], ["有没有实体店", "實體店在哪裡"], ["怎么退货"]],
        )
    )


async def _store(tmp_path: Path) -> None:
    book = load_rulebook(RULES)
    steps = plan_audience(book, "demo", 120, 7)
    viewers = sorted({s.viewer for s in steps})
    extra = [
        Step(60.0 + 20 * n, viewers[n], "chat", "c1", {"text": text, "question": True})
        for n, text in enumerate(PARAPHRASES)
    ]
    start = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    script = book.shows["demo"]
    end = start + dt.timedelta(seconds=script.length)
    events = synthesize_log(book, "demo", sorted([*steps, *extra], key=lambda s: s.offset), start)
    # The team answered one of them in the studio.
    asked = next(e for e in events if e.kind == "chat" and e.data.get("text") == "几点下播啊")
    later = asked.ts + 8
    events += [
        RoomEvent(
            "demo",
            "chat",
            later,
            None,
            {
                "message_id": "t1",
                "role": "team",
                "nickname": "小王",
                "text": f"@{asked.viewer_id} 今晚 10 点下播～",
            },
        ),
        RoomEvent(
            "demo",
            "question_answered",
            later,
            asked.viewer_id,
            {"message_id": asked.data["message_id"], "answer_message_id": "t1", "by": "小王", "waited": 8.0},
        ),
    ]
    events.sort(key=lambda e: e.ts)
    async with Database.open() as db:
        await db.migrate()
        await store_run(db, book.room.id, "demo", events, start, end, 1.0)


def test_liveroom_faq_gaps_on_a_simulated_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    asyncio.run(_store(tmp_path))
    rules = ["--rules", str(RULES)]

    assert main(["faq", "gaps", "demo", *rules]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo 第 1 场：") and "组意思相近的问法" in out
    blocks = out.split("\n\n")
    closing = next(b for b in blocks if "下播" in b).splitlines()
    assert closing[0].endswith("今天播到几点呀（4 次）")  # asked twice: the example; the simulator's own too
    assert set(closing[1].removeprefix("   其他问法：").split("、")) == {"主播几点下播", "几点下播啊"}
    assert closing[2] == "   建议回答：今晚 10 点下播～（新条目）"  # the team's answer, without its @viewer
    shops = next(b for b in blocks if "实体店" in b).splitlines()
    assert shops[0].endswith("有没有实体店（3 次）")  # Simplified wording first
    assert set(shops[1].removeprefix("   其他问法：").split("、")) == {"實體店在哪裡", "线下有实体店吗"}
    assert shops[2] == "   建议回答：（团队没有回答，请补上）（新条目）"
    maker = next(b for b in blocks if "厂家" in b).splitlines()
    assert maker[0].endswith("你们是厂家吗（1 次）") and "其他问法" not in maker[1]

    assert main(["faq", "gaps", "demo", "--json", *rules]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["show"] == "demo" and body["run"] == 1
    groups = {g["example"]: g for g in body["groups"]}
    closing_group = next(g for g in body["groups"] if any("下播" in w["text"] for w in g["wordings"]))
    assert closing_group["count"] >= 3 and closing_group["proposed_entry"]["a"] == "今晚 10 点下播～"
    assert {w["text"] for w in closing_group["wordings"]} >= {"今天播到几点呀", "几点下播啊"}
    assert sum(g["count"] for g in groups.values()) == sum(len(g["message_ids"]) for g in groups.values())

    html = tmp_path / "report.html"
    assert main(["report", "demo", "--html", str(html), *rules]) == 0
    capsys.readouterr()
    page = html.read_text(encoding="utf-8")
    section = page[page.index('id="faq-gaps"') :]
    assert "FAQ 缺口：转给人工的问题" in page and 'data-table="faq-gaps"' in section
    assert "今晚 10 点下播～" in section and "實體店在哪裡" in section

    assert main(["report", "demo", "--json", *rules]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["faq_gaps"] == body["groups"]
    bot = report["bot"]
    assert bot["escalated"] >= len(PARAPHRASES) and bot["handed_over"] == bot["escalated"]
    assert set(bot) >= {"answered", "suggested", "suggested_sent", "suggested_edited", "dismissed"}


def test_the_review_counts_what_became_of_each_queued_question() -> None:
    from bot.review.kpi import compute

    start = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    t0 = start.timestamp()
    events: list[RoomEvent] = []

    def add(at: float, kind: str, viewer: str | None, **data: object) -> None:
        events.append(RoomEvent("demo", kind, t0 + at, viewer, dict(data)))

    add(0, "viewer_joined", "v1", nickname="小雨", connection_id="c1")
    for n, (text, decision, proposed) in enumerate(
        [
            ("多久发货", "answered", None),
            ("支持七天无理由吗", "suggested", "returns"),
            ("退货运费谁出", "suggested", "return-shipping"),
            ("能换货吗", "suggested", "exchange"),
            ("有没有实体店", "escalated", None),
            ("主播几点下播", "escalated", None),
        ],
        start=1,
    ):
        add(10 * n, "chat", "v1", message_id=n, role="viewer", nickname="小雨", text=text)
        extra = {"proposed": proposed} if proposed else {}
        add(10 * n + 0.5, "faq_decision", "v1", message_id=n, decision=decision, faq_id=proposed, **extra)
    add(30, "chat", None, message_id=101, role="team", nickname="小王", text="@小雨 支持七天无理由退货")
    add(
        30,
        "question_answered",
        "v1",
        message_id=2,
        answer_message_id=101,
        by="小王",
        faq_id="returns",
        proposed="returns",
        edited=False,
        waited=10.0,
    )
    add(50, "chat", None, message_id=102, role="team", nickname="小王", text="@小雨 运费险赔付")
    add(
        50,
        "question_answered",
        "v1",
        message_id=3,
        answer_message_id=102,
        by="小王",
        proposed="return-shipping",
        edited=True,
        waited=20.0,
    )
    add(60, "question_dismissed", "v1", message_id=4, by="小王", waited=20.0)
    add(110, "chat", None, message_id=103, role="team", nickname="小王", text="@小雨 只有线上店")
    add(110, "question_answered", "v1", message_id=5, answer_message_id=103, by="小王", waited=60.0)
    review = compute(events, start, start + dt.timedelta(minutes=5))
    bot = review.show.bot
    assert (bot.answered, bot.suggested, bot.escalated) == (1, 3, 2)
    assert (bot.suggested_sent, bot.suggested_edited, bot.dismissed) == (1, 1, 1)
    assert review.show.median_human_answer_seconds == 20.0  # 10, 20 and 60 s
    outcomes = {q.text: (q.outcome, q.answer) for q in review.queued}
    assert outcomes == {
        "支持七天无理由吗": ("sent", "支持七天无理由退货"),
        "退货运费谁出": ("edited", "运费险赔付"),
        "能换货吗": ("dismissed", None),
        "有没有实体店": ("answered", "只有线上店"),
        "主播几点下播": ("waiting", None),
    }
    # The gaps: everything but the proposal sent as it was.
    from bot.review.gaps import faq_gaps

    assert sorted(g.example for g in faq_gaps(review.queued)) == sorted(
        ["退货运费谁出", "能换货吗", "有没有实体店", "主播几点下播"]
    )


def test_conclusions_say_how_the_bots_proposals_fared() -> None:
    from bot.review.conclusions import conclude
    from bot.review.kpi import compute

    start = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    t0 = start.timestamp()

    def run(edited: list[bool]) -> list[RoomEvent]:
        events = [RoomEvent("demo", "viewer_joined", t0, "v1", {"nickname": "小雨", "connection_id": "c1"})]
        for n, was_edited in enumerate(edited, start=1):
            at = t0 + 10 * n
            events += [
                RoomEvent("demo", "chat", at, "v1", {"message_id": n, "role": "viewer", "text": f"问题{n}"}),
                RoomEvent(
                    "demo",
                    "faq_decision",
                    at,
                    "v1",
                    {"message_id": n, "decision": "suggested", "proposed": "returns"},
                ),
                RoomEvent(
                    "demo",
                    "question_answered",
                    at + 5,
                    "v1",
                    {
                        "message_id": n,
                        "answer_message_id": 100 + n,
                        "by": "小王",
                        "proposed": "returns",
                        "edited": was_edited,
                    },
                ),
            ]
        return events

    end = start + dt.timedelta(minutes=5)
    good = conclude(compute(run([False, False, False, True]), start, end))
    assert "机器人的建议 3/4 条被团队直接发送" in [f.text for f in good.good]
    bad = conclude(compute(run([True, True, False]), start, end))
    assert "机器人的建议有 2/3 条被改写后才发出" in [f.text for f in bad.problems]
    assert any("liveroom faq gaps" in f.text for f in bad.next)
