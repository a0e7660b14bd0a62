"""room.yaml `bot.autonomy` on the responder: `suggest` never answers directly but proposes the
answer; `never` hands over with no proposal; the default and untagged entries stay on `auto`."""

from bot.faq.responder import Escalate, HeardLine, Reply, Responder, decision_events
from bot.rules.models import Autonomy


def ask(bot, n, text, at=100.0):
    return bot.observe(HeardLine(f"m{n}", f"v{n}", f"观众{n}", text, at)) + bot.tick(at + 5)


def test_autonomy_per_tag(answerer):
    bot = Responder(answerer, autonomy=Autonomy(tags={"售后": "suggest", "物流": "never"}))
    # 售后 (returns): proposed, never posted.
    [suggested] = ask(bot, 1, "支持七天无理由吗")
    assert isinstance(suggested, Escalate) and suggested.reason == "autonomy"
    assert suggested.proposal is not None and suggested.proposal.faq_id == "returns"
    assert "七天无理由" in suggested.proposal.text and not suggested.proposal.text.startswith("@")
    [row] = decision_events(suggested)
    assert row["data"]["decision"] == "suggested" and row["data"]["proposed"] == "returns"
    # 物流 (free shipping): handed over with nothing proposed.
    [handed] = ask(bot, 2, "包邮吗", at=200.0)
    assert isinstance(handed, Escalate) and handed.proposal is None and handed.reason == "autonomy"
    assert decision_events(handed)[0]["data"]["decision"] == "escalated"
    # 发货 has no setting: the default, auto.
    [reply] = ask(bot, 3, "多久发货", at=300.0)
    assert isinstance(reply, Reply) and reply.faq_id == "ship-time"


def test_default_suggest_and_the_most_careful_tag_wins(answerer):
    bot = Responder(answerer, autonomy=Autonomy(default="suggest"))
    [first] = ask(bot, 1, "多久发货")
    assert isinstance(first, Escalate) and first.proposal is not None and first.proposal.faq_id == "ship-time"
    careful = Autonomy(default="auto", tags={"a": "suggest", "b": "never"})
    assert careful.level(["a", "b"]) == "never" and careful.level(["a"]) == "suggest"
    assert careful.level([]) == "auto" and careful.level(["other"]) == "auto"


def test_over_the_reply_cap_the_answer_is_proposed(answerer):
    bot = Responder(answerer, cap_per_minute=1, gather=0.0)
    out = ask(bot, 1, "多久发货") + ask(bot, 2, "包邮吗", at=101.0)
    capped = [d for d in out if isinstance(d, Escalate)]
    assert [d.reason for d in capped] == ["reply_cap"]
    assert capped[0].proposal is not None and capped[0].proposal.faq_id == "free-shipping"


def test_learned_wordings_are_matched_like_written_ones_and_dump_as_written() -> None:
    from bot.faq.answerer import FaqAnswerer
    from bot.rules.models import FaqEntry

    entry = FaqEntry(
        id="x", q=["能开发票吗", "发票怎么开", "专票能开吗", "普票"], a="可以开", learned=["开票要多久呀"]
    )
    assert entry.q[-1] == "开票要多久呀" and entry.written == 4
    assert FaqEntry.model_validate(entry.model_dump()) == entry  # q dumps as written: 4, not 5
    answer = FaqAnswerer.build([], [entry]).answer("开票要多久呀")
    assert answer.decision.verdict == "answered" and answer.text == "可以开"
