from bot.faq.responder import Abstain, Escalate, HeardLine, Reply, Responder, decision_events


def line(n, text, at, *, viewer=None, role="viewer", pinned="DOWN-03"):
    viewer = viewer or f"v{n}"
    return HeardLine(f"m{n}", viewer, f"观众{n}", text, at, role, pinned)


def replies(decisions):
    return [d for d in decisions if isinstance(d, Reply)]


def test_one_viewer_gets_a_quoting_reply_within_two_seconds(answerer):
    bot = Responder(answerer)
    assert bot.observe(line(1, "多久发货", 100.0)) == []
    assert bot.next_due() <= 102.0
    out = replies(bot.tick(101.6))
    assert len(out) == 1
    assert out[0].text.startswith("@观众1 ") and "48 小时" in out[0].text
    assert out[0].faq_id == "ship-time" and out[0].reply_to_message_ids == ("m1",)


def test_five_viewers_same_question_get_one_reply_naming_them(answerer):
    bot = Responder(answerer)
    asks = ["多久发货", "什么时候发货啊", "发货快不", "多久發貨", "when ship?"]
    decisions = []
    for n, text in enumerate(asks, start=1):
        decisions += bot.observe(line(n, text, 100.0 + 0.2 * n))
    decisions += bot.tick(102.0)
    # later askers within the window are not answered again
    for n in range(6, 9):
        decisions += bot.observe(line(n, "多久发货", 110.0 + n))
    decisions += bot.tick(125.0)
    sent = replies(decisions)
    assert len(sent) == 1
    assert sent[0].to_viewers == ("v1", "v2", "v3", "v4", "v5")
    assert all(f"@观众{n}" in sent[0].text for n in range(1, 6))
    assert sum(isinstance(d, Abstain) and d.reason == "answered_recently" for d in decisions) == 3


def test_same_question_after_the_window_is_answered_again(answerer):
    bot = Responder(answerer, window=30)
    bot.observe(line(1, "多久发货", 0.0))
    assert replies(bot.tick(2.0))
    bot.observe(line(2, "多久发货", 40.0))
    assert replies(bot.tick(42.0))


def test_reply_cap_per_minute_escalates_the_rest(answerer):
    bot = Responder(answerer, cap_per_minute=2)
    questions = ["多久发货", "包邮吗", "能开发票吗", "怎么领券"]
    decisions = []
    for n, text in enumerate(questions):
        decisions += bot.observe(line(n, text, 10.0 + n * 2))
    decisions += bot.tick(20.0)
    assert len(replies(decisions)) == 2
    capped = [d for d in decisions if isinstance(d, Escalate)]
    assert [d.reason for d in capped] == ["reply_cap", "reply_cap"]
    # a minute later the cap has room again
    bot.observe(line(9, "能用花呗吗", 75.0))
    assert replies(bot.tick(77.0))


def test_never_answers_team_host_or_itself(answerer):
    bot = Responder(answerer)
    for role in ("team", "host", "bot"):
        assert bot.observe(line(1, "多久发货", 1.0, role=role)) == []
    assert bot.tick(10.0) == []


def test_pause_and_resume(answerer):
    bot = Responder(answerer)
    bot.pause()
    out = bot.observe(line(1, "多久发货", 1.0)) + bot.tick(5.0)
    assert not replies(out)
    assert [type(d) for d in out] == [Escalate]
    assert bot.observe(line(2, "哈哈哈", 2.0))[0].reason == "paused"
    bot.resume()
    bot.observe(line(3, "多久发货", 6.0))
    assert replies(bot.tick(8.0))


def test_unanswered_question_is_escalated_and_chat_is_abstained(answerer):
    bot = Responder(answerer)
    escalated = bot.observe(line(1, "你们有实体店吗", 1.0))
    assert isinstance(escalated[0], Escalate) and escalated[0].nickname == "观众1"
    assert bot.team_answer(escalated[0], "没有哦，只在线上卖") == "@观众1 没有哦，只在线上卖"
    quiet = bot.observe(line(2, "主播好美", 2.0))
    assert isinstance(quiet[0], Abstain)


def test_pinned_product_reaches_the_answer(answerer):
    bot = Responder(answerer)
    bot.observe(line(1, "多少钱", 0.0, pinned="PAN-01"))
    bot.observe(line(2, "多少钱", 0.1, pinned="TEA-05"))
    out = replies(bot.tick(2.0))
    assert {r.faq_id for r in out} == {"pan-price", "tea-price"}


def test_decision_events_one_per_asker(answerer):
    bot = Responder(answerer)
    bot.observe(line(1, "多久发货", 0.0))
    bot.observe(line(2, "多久发货呀", 0.5))
    reply = replies(bot.tick(2.0))[0]
    events = decision_events(reply)
    assert [e["data"]["message_id"] for e in events] == ["m1", "m2"]
    assert all(e["kind"] == "faq_decision" and e["data"]["decision"] == "answered" for e in events)
    escalated = bot.observe(line(3, "我的快递怎么还没到", 3.0))[0]
    event = decision_events(escalated)[0]
    assert event["data"]["decision"] == "escalated" and event["viewer_id"] == "v3"


def test_english_room_reply_for_many(answerer):
    bot = Responder(answerer, language="en")
    for n in range(7):
        bot.observe(line(n, "多久发货", 0.1 * n))
    reply = replies(bot.tick(2.0))[0]
    assert "and 2 more:" in reply.text and len(reply.to_viewers) == 7
