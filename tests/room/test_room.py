"""The room over real sockets: chat, late joiners, moderation, coupons, votes, lotteries, operators."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from typing import Any

from conftest import until
from sqlalchemy import func, select

from media.hub import RoomEvent
from media.hub.clock import ManualClock
from media.hub.lottery import draw, seed_hash
from media.hub.protocol import Proposal
from media.hub.recovery import load_room
from media.hub.state import RoomState
from media.store.models import ChatMessage, EventRow
from media.web.orders import SIGNATURE_HEADER, sign

from .harness import PASSWORD, SECRET, MakeRoomApp, RoomApp, demo_room


async def events(app: RoomApp, kind: str) -> list[EventRow]:
    async with app.db.sessions() as s:
        return list(
            (await s.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id))).all()
        )


async def _rejected_count(app: RoomApp, n: int) -> bool:
    return len(await events(app, "chat_rejected")) >= n


async def test_chat_reaches_everyone_and_is_logged_before_it_is_sent(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    a, b, team = await app.viewer(), await app.viewer(), await app.team()
    await a.send({"type": "chat", "text": "多久发货"})
    seen_by_b = await b.wait_for(lambda m: m["type"] == "chat" and m["text"] == "多久发货")
    seen_by_team = await team.wait_for(lambda m: m["type"] == "chat" and m["text"] == "多久发货")
    # Viewers never see each other's ids; the team does (to mute).
    assert "viewer_id" not in seen_by_b
    welcome_a = a.of("welcome")[0]
    assert seen_by_team["viewer_id"] == welcome_a["viewer_id"]
    logged = await events(app, "chat")
    assert [(e.data["text"], e.data["message_id"], e.viewer_id) for e in logged] == [
        ("多久发货", seen_by_b["id"], welcome_a["viewer_id"])
    ]
    joined = await events(app, "viewer_joined")
    assert len(joined) == 2 and all(
        e.data["instance"] == app.hub.instance for e in joined
    )  # the team is no viewer
    stats = team.of("welcome")[0]["snapshot"]["stats"]
    assert stats["online"] == 2 and stats["viewers"] == 2


async def test_a_late_joiner_gets_the_last_50_lines_and_what_is_open(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    for i in range(55):
        await app.hub.say("demo", f"第{i}条")
    await app.hub.pin_product("demo", "tea-01")
    await app.hub.push_coupon(
        "demo",
        {
            "id": "c50",
            "title": "满199减50",
            "link": "https://shop.example.com/c50",
            "discount": "¥50",
            "quantity": 10,
        },
    )
    await app.hub.open_vote("demo", "v1", "下一款看哪个", ["龙井", "茶杯"], 60)
    await app.hub.open_lottery("demo", "l1", "茶具一套", 1, "我要茶具", 60, {})
    late = await app.viewer()
    snap = late.of("welcome")[0]["snapshot"]
    assert [m["text"] for m in snap["messages"]] == [f"第{i}条" for i in range(5, 55)]
    assert snap["pinned"]["product"]["sku"] == "tea-01"
    assert snap["pinned"]["product"]["link"] == "/go/demo/tea-01?src=card"
    assert snap["coupons"][0]["coupon_id"] == "c50" and snap["coupons"][0]["remaining"] == 10
    assert "link" not in snap["coupons"][0]  # the coupon link is given only to a claimer
    assert snap["vote"]["options"] == ["龙井", "茶杯"]
    assert snap["lottery"]["keyword"] == "我要茶具" and len(snap["lottery"]["seed_hash"]) == 64
    assert "seed" not in snap["lottery"]


async def test_refused_chat_goes_back_to_the_sender_only(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    a, b = await app.viewer(), await app.viewer()
    await a.send({"type": "chat", "text": "加我微信便宜"})
    await a.send({"type": "chat", "text": "看 www.cheap.com"})
    await a.send({"type": "chat", "text": "<script>alert(1)</script>"})
    error = await a.wait_for(lambda m: m["type"] == "error")
    assert error["code"] == "blocked_word" and error["message"] == "消息包含违禁词，未发送"
    line = await b.wait_for(lambda m: m["type"] == "chat")
    assert line["text"] == "<script>alert(1)</script>"  # sent as text; pages render it with textContent
    assert [e["code"] for e in a.of("error")] == ["blocked_word", "link"]
    assert not b.of("error") and len(b.of("chat")) == 1
    # Logged once per burst of refusals, when the burst is over (2 s without another).
    await until(lambda: _rejected_count(app, 2), within=5)
    rejected = await events(app, "chat_rejected")
    assert [(e.data["reason"], e.data["count"]) for e in rejected] == [("blocked_word", 1), ("link", 1)]


async def test_rate_limit_per_viewer_across_tabs(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    first = await app.viewer()
    token = app.hub.ids.issue().token
    tab1, tab2 = await app.viewer(token), await app.viewer(token)
    assert tab1.of("welcome")[0]["viewer_id"] == tab2.of("welcome")[0]["viewer_id"]
    for i in range(3):
        await tab1.send({"type": "chat", "text": f"一{i}"})
        await tab2.send({"type": "chat", "text": f"二{i}"})
    await first.wait_for(lambda m: m["type"] == "chat" and len(first.of("chat")) == 5)
    await asyncio.sleep(0.3)
    assert len(first.of("chat")) == 5  # 5 per 10 s for the viewer, whichever tab
    assert len(tab1.of("error")) + len(tab2.of("error")) == 1


async def test_coupon_claimed_once_and_never_oversold(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    token = app.hub.ids.issue().token
    a, b = await app.viewer(token), await app.viewer()
    await app.hub.push_coupon(
        "demo",
        {
            "id": "c1",
            "title": "满199减50",
            "link": "https://shop.example.com/c1",
            "discount": "¥50",
            "quantity": 1,
        },
    )
    await a.wait_for(lambda m: m["type"] == "coupon")
    await a.send({"type": "claim_coupon", "coupon_id": "c1"})
    ok = await a.wait_for(lambda m: m["type"] == "coupon_claim")
    assert ok["ok"] and ok["link"] == "https://shop.example.com/c1" and ok["remaining"] == 0
    sold = await b.wait_for(lambda m: m["type"] == "coupon_stock")
    assert sold == {"type": "coupon_stock", "coupon_id": "c1", "remaining": 0, "sold_out": True}
    await a.send({"type": "claim_coupon", "coupon_id": "c1"})
    await b.send({"type": "claim_coupon", "coupon_id": "c1"})
    again = await a.wait_for(lambda m: m["type"] == "coupon_claim" and not m["ok"])
    refused = await b.wait_for(lambda m: m["type"] == "coupon_claim")
    assert again["reason"] == "already_claimed" and "link" not in again
    assert refused["reason"] == "sold_out"
    assert [e.data for e in await events(app, "coupon_claimed")] == [{"coupon_id": "c1", "remaining": 0}]
    assert len(await events(app, "coupon_sold_out")) == 1
    # A reload keeps the "已领取" state: the snapshot says this viewer claimed it.
    await a.close()
    a_again = await app.viewer(token)
    assert a_again.of("welcome")[0]["snapshot"]["coupons"][0]["claimed"] is True
    assert b.of("welcome")[0]["snapshot"]["coupons"] == []  # b joined before the push


async def test_vote_tallies_live_and_closes_with_a_winner(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    viewers = [await app.viewer() for _ in range(3)]
    await app.hub.open_vote("demo", "v1", "下一款", ["龙井", "茶杯", "茶盘"], 60)
    for v, option in zip(viewers, [1, 1, 2], strict=True):
        await v.send({"type": "vote", "vote_id": "v1", "option": option})
    update = await viewers[0].wait_for(
        lambda m: m["type"] == "vote_update" and sum(m["tallies"]) == 3, within=3
    )
    assert update["tallies"] == [0, 2, 1]
    await viewers[0].send({"type": "vote", "vote_id": "v1", "option": 0})
    refused = await viewers[0].wait_for(lambda m: m["type"] == "vote_ack" and not m["ok"])
    assert refused["reason"] == "already_voted"
    result = await app.hub.close_vote("demo", "v1")
    assert result.winner == 1 and result.winner_text == "茶杯" and result.tallies == [0, 2, 1]
    closed = await viewers[2].wait_for(lambda m: m["type"] == "vote_close")
    assert closed["winner"] == 1
    assert (await app.hub.close_vote("demo", "v1")).winner == 1  # closing again changes nothing
    assert len(await events(app, "vote_closed")) == 1 and len(await events(app, "ballot")) == 3


async def test_lottery_by_keyword_and_button_with_a_checkable_draw(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    a, b, c = await app.viewer(), await app.viewer(), await app.viewer()
    opened = await app.hub.open_lottery("demo", "l1", "茶具一套", 2, "我要茶具", 60, {"present": True})
    await a.send({"type": "chat", "text": " 我要茶具 "})
    await b.send({"type": "enter_lottery", "lottery_id": "l1"})
    await c.send({"type": "enter_lottery", "lottery_id": "l1"})
    assert (await a.wait_for(lambda m: m["type"] == "lottery_entered"))["ok"]
    assert (await b.wait_for(lambda m: m["type"] == "lottery_entered"))["ok"]
    await c.wait_for(lambda m: m["type"] == "lottery_entered")
    await b.send({"type": "enter_lottery", "lottery_id": "l1"})
    twice = await b.wait_for(lambda m: m["type"] == "lottery_entered" and not m["ok"])
    assert twice["reason"] == "already_entered"
    await c.close()  # not present at the draw: not eligible
    await asyncio.sleep(0.2)
    result = await app.hub.draw_lottery("demo", "l1")
    ids = sorted([a.of("welcome")[0]["viewer_id"], b.of("welcome")[0]["viewer_id"]])
    assert seed_hash(result.seed) == opened.seed_hash
    assert result.entrants == 3 and result.eligible == 2
    assert [w.viewer_id for w in result.winners] == draw(result.seed, ids, 2)
    shown = await a.wait_for(lambda m: m["type"] == "lottery_result")
    assert shown["seed"] == result.seed and {w["viewer_id"] for w in shown["winners"]} == set(ids)
    assert (await app.hub.draw_lottery("demo", "l1")).seed == result.seed
    assert len(await events(app, "lottery_drawn")) == 1
    assert sorted(e.data["via"] for e in await events(app, "lottery_entry")) == [
        "button",
        "button",
        "keyword",
    ]


async def test_operators_need_a_login_and_csrf(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    viewer = await app.viewer()
    await viewer.send({"type": "say", "text": "我是官方"})
    assert (await viewer.wait_for(lambda m: m["type"] == "error"))["code"] == "forbidden"
    bad = await app.client.post("/studio/demo/login", data={"password": "wrong"}, allow_redirects=False)
    assert bad.status == 401
    page = await app.client.get("/studio/demo")
    assert "password" in await page.text() and PASSWORD not in await page.text()
    resp = await app.client.get("/ws/demo", params={"role": "team"}, headers={"Upgrade": "websocket"})
    assert resp.status in (400, 403)
    team = await app.team()
    resp = await app.client.get("/ws/demo", params={"role": "team", "csrf": "forged"})
    assert resp.status == 403
    await team.send({"type": "pin_product", "sku": "cup-02"})
    pinned = await viewer.wait_for(lambda m: m["type"] == "pin_product")
    assert pinned["product"]["name"] == "青瓷茶杯"
    await team.send({"type": "pin_product", "sku": "nope"})
    assert (await team.wait_for(lambda m: m["type"] == "error"))["code"] == "unknown_product"
    # A bot outside the process uses the team password as a bearer token.
    bot = await app.client.ws_connect(
        "/ws/demo", params={"role": "bot"}, headers={"Authorization": f"Bearer {PASSWORD}"}
    )
    await bot.send_str(json.dumps({"type": "say", "text": "欢迎来到直播间", "cue": "welcome"}))
    said = await viewer.wait_for(lambda m: m["type"] == "chat" and m["role"] == "bot")
    assert said["cue"] == "welcome" and said["nickname"] == "助理"
    await bot.close()


async def test_team_mutes_and_deletes(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    a, b, team = await app.viewer(), await app.viewer(), await app.team()
    await a.send({"type": "chat", "text": "捣乱"})
    line = await team.wait_for(lambda m: m["type"] == "chat")
    await team.send({"type": "delete_message", "message_id": line["id"]})
    assert (await b.wait_for(lambda m: m["type"] == "chat_deleted"))["message_id"] == line["id"]
    await team.send({"type": "mute", "viewer_id": line["viewer_id"]})
    await a.wait_for(lambda m: m["type"] == "notice")
    await a.send({"type": "chat", "text": "还要说"})
    assert (await a.wait_for(lambda m: m["type"] == "error"))["code"] == "muted"
    late = await app.viewer()
    assert late.of("welcome")[0]["snapshot"]["messages"] == []
    assert [e.data["by"] for e in await events(app, "mute")] == ["运营"]
    assert len(await events(app, "message_deleted")) == 1


async def test_bot_api_subscription_and_question_queue(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    seen: list[RoomEvent] = []
    app.hub.subscribe(seen.append)
    viewer, team = await app.viewer(), await app.team()
    await viewer.send({"type": "chat", "text": "茶叶是今年的吗"})
    line = await team.wait_for(lambda m: m["type"] == "chat")
    chat = next(e for e in seen if e.kind == "chat")
    assert (
        chat.is_viewer_chat
        and chat.data["text"] == "茶叶是今年的吗"
        and chat.data["message_id"] == line["id"]
    )
    await app.hub.escalate("demo", line["id"], reason="abstained")
    question = await team.wait_for(lambda m: m["type"] == "question")
    assert question["text"] == "茶叶是今年的吗"
    assert not viewer.of("question")  # the queue is for the team only
    answer = await app.hub.answer_question("demo", line["id"], "是今年的明前茶", by="小李")
    reply = await viewer.wait_for(lambda m: m["type"] == "chat" and m.get("reply_to") == line["id"])
    assert reply["quote"] == "茶叶是今年的吗" and reply["role"] == "team" and reply["nickname"] == "小李"
    assert reply["text"] == f"@{line['nickname']} 是今年的明前茶"  # like the bot's replies: quoted, with @
    assert (await team.wait_for(lambda m: m["type"] == "question_answered"))["answer_message_id"] == answer.id
    assert app.hub.waiting_questions("demo") == []
    [answered] = [e.data for e in await events(app, "question_answered")]
    assert answered == {
        "message_id": line["id"],
        "answer_message_id": answer.id,
        "by": "小李",
        "waited": answered["waited"],
    }
    assert 0 <= answered["waited"] < 10


async def test_a_question_waits_with_the_bots_proposal_and_can_be_dismissed(
    make_room_app: MakeRoomApp,
) -> None:
    app = await make_room_app()
    viewer, team = await app.viewer(), await app.team()
    await viewer.send({"type": "chat", "text": "能开发票不"})
    first = await team.wait_for(lambda m: m["type"] == "chat" and m["text"] == "能开发票不")
    await viewer.send({"type": "chat", "text": "主播唱首歌吧"})
    second = await team.wait_for(lambda m: m["type"] == "chat" and m["text"] == "主播唱首歌吧")
    proposal = Proposal(faq_id="invoice", text="可以开电子发票", score=0.6)
    await app.hub.escalate("demo", first["id"], reason="suggest", proposal=proposal)
    await app.hub.escalate("demo", second["id"], reason="abstained")
    waiting = await team.wait_for(lambda m: m["type"] == "question" and m["message_id"] == first["id"])
    assert waiting["proposal"] == {"faq_id": "invoice", "text": "可以开电子发票", "score": 0.6}
    # the team sends the proposal with one tap (the studio's operator socket), then dismisses the spam
    await team.send(
        {"type": "answer_question", "message_id": first["id"], "text": "可以开电子发票", "faq_id": "invoice"}
    )
    await team.wait_for(lambda m: m["type"] == "question_answered" and m["message_id"] == first["id"])
    sent = await viewer.wait_for(lambda m: m["type"] == "chat" and m.get("reply_to") == first["id"])
    assert sent["text"] == f"@{first['nickname']} 可以开电子发票"
    await team.send({"type": "dismiss_question", "message_id": second["id"]})
    await team.wait_for(lambda m: m["type"] == "question_dismissed" and m["message_id"] == second["id"])
    assert app.hub.waiting_questions("demo") == []
    [answered] = [e.data for e in await events(app, "question_answered")]
    assert (answered["faq_id"], answered["proposed"], answered["edited"]) == ("invoice", "invoice", False)
    [dismissed] = await events(app, "question_dismissed")
    assert dismissed.data["message_id"] == second["id"] and dismissed.viewer_id is not None
    # An answer that already names the viewer is not named twice.
    again = await app.hub.answer_question(
        "demo", first["id"], f"@{first['nickname']} 发票在订单页申请", by="小李"
    )
    assert again.text == f"@{first['nickname']} 发票在订单页申请"


async def test_orders_webhook_is_signed_and_idempotent(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    order: dict[str, Any] = {
        "order_id": "o-1",
        "room": "demo",
        "sku": "tea-01",
        "amount": "159.00",
        "viewer_id": "v1",
    }
    body = json.dumps(order).encode()
    bad = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign("wrong", body)})
    assert bad.status == 401
    good = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert good.status == 201
    again = await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert again.status == 200 and (await again.json())["status"] == "duplicate"
    assert [e.data for e in await events(app, "order")] == [
        {"order_id": "o-1", "sku": "tea-01", "quantity": 1, "amount": "159.00"}
    ]
    room = app.hub.active("demo")
    assert room is not None
    await until(lambda: room.state.stats(0).gmv == 159.0)  # the studio's 成交额, counted once
    # What is left of the product's stock (80) reaches the 小黄车, once per order, and late joiners.
    assert room.state.stock_left == {"tea-01": 79}
    late = await app.viewer()
    assert late.of("welcome")[0]["snapshot"]["stock_left"] == {"tea-01": 79}
    restored = await load_room(app.db, demo_room(), "again", 0.0)
    assert restored.stock_left == {"tea-01": 79}  # a restart reads it back from the stored orders
    assert room.state.stats(0).for_viewers().get("gmv") is None  # the team's number, not the viewers'

    # An order with a coupon also logs coupon_used, and in-process listeners hear both, once.
    heard: list[RoomEvent] = []
    app.hub.subscribe(heard.append)
    body = json.dumps({**order, "order_id": "o-2", "coupon_id": "save-20"}).encode()
    for _ in range(2):
        await app.client.post("/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    used = {"coupon_id": "save-20", "order_id": "o-2"}
    assert [e.data for e in await events(app, "coupon_used")] == [used]
    assert [(e.kind, e.viewer_id) for e in heard if e.kind in ("order", "coupon_used")] == [
        ("order", "v1"),
        ("coupon_used", "v1"),
    ]
    assert next(e for e in heard if e.kind == "coupon_used").data == used


async def test_tracked_link_records_the_click_and_redirects(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    page = await app.client.get("/room/demo")  # sets the viewer cookie
    assert page.status == 200
    resp = await app.client.get("/go/demo/tea-01?src=card", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("https://shop.example.com/p/tea-01?lr_viewer=v")
    (click,) = await events(app, "click")
    assert click.data == {"sku": "tea-01", "source": "card"} and click.viewer_id is not None
    assert (await app.client.get("/go/demo/nope", allow_redirects=False)).status == 404


async def test_bad_frames_get_errors_and_abuse_closes_the_socket(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    bad, good = await app.viewer(), await app.viewer()
    await bad.send("{not json")
    await bad.send({"type": "teleport"})
    await bad.send({"type": "chat", "text": "x" * 5000})
    await bad.ws.send_bytes(b"\x00\x01")
    await bad.wait_for(lambda m: len(bad.of("error")) >= 4)
    assert sorted(e["code"] for e in bad.of("error")) == ["binary", "malformed", "too_large", "unknown_type"]
    for _ in range(30):
        await bad.send("nope")
    await asyncio.wait_for(bad._task, 5)  # type: ignore[arg-type]
    assert bad.closed_code == 1008
    await good.send({"type": "chat", "text": "还在吗"})
    assert (await good.wait_for(lambda m: m["type"] == "chat"))["text"] == "还在吗"


async def test_metrics_and_health(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    a = await app.viewer()
    await a.send({"type": "chat", "text": "你好"})
    await a.wait_for(lambda m: m["type"] == "chat")
    text = await (await app.client.get("/metrics")).text()
    assert 'liveroom_ws_connections{role="viewer"} 1.0' in text
    assert 'liveroom_ws_messages_in_total{type="chat"} 1.0' in text
    assert "liveroom_delivery_seconds_count" in text
    health = await (await app.client.get("/healthz")).json()
    assert health["hub"]["connections"] == 1 and health["hub"]["running"] is True
    async with app.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ChatMessage)) == 1


async def test_an_english_room_speaks_english(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app(room=demo_room(language="en"))
    page = await (await app.client.get("/room/demo")).text()
    assert '<html lang="en">' in page and ">Send<" in page and "发送" not in page
    viewer = await app.viewer()
    await viewer.send({"type": "chat", "text": "add 微信 for deals"})
    assert (await viewer.wait_for(lambda m: m["type"] == "error"))[
        "message"
    ] == "Your message contains a blocked word"


async def test_due_votes_close_and_due_lotteries_draw_on_the_hub_clock(make_room_app: MakeRoomApp) -> None:
    clock = ManualClock()
    app = await make_room_app(clock=clock)
    viewer = await app.viewer()
    await app.hub.set_run("demo", 7)
    await app.hub.open_vote("demo", "v1", "下一款", ["龙井", "茶杯"], 30, cue="vote-cue")
    await app.hub.open_lottery("demo", "l1", "茶具", 1, None, 60, {}, cue="lot-cue")
    await viewer.send({"type": "vote", "vote_id": "v1", "option": 1})
    await viewer.send({"type": "enter_lottery", "lottery_id": "l1"})
    await viewer.wait_for(lambda m: m["type"] == "lottery_entered")
    clock.advance(31)
    closed = await viewer.wait_for(lambda m: m["type"] == "vote_close")
    assert closed["winner"] == 1
    await viewer.send({"type": "vote", "vote_id": "v1", "option": 0})
    assert (await viewer.wait_for(lambda m: m["type"] == "vote_ack" and not m["ok"]))["reason"] == "unknown"
    clock.advance(30)
    result = await viewer.wait_for(lambda m: m["type"] == "lottery_result")
    assert [w["viewer_id"] for w in result["winners"]] == [viewer.of("welcome")[0]["viewer_id"]]
    logged = await events(app, "vote_opened")
    assert logged[0].run_id == 7 and logged[0].data["cue"] == "vote-cue"
    assert (await events(app, "lottery_opened"))[0].data["cue"] == "lot-cue"
    await viewer.send({"type": "chat", "text": "好"})
    said = await viewer.wait_for(lambda m: m["type"] == "chat" and m["text"] == "好")
    await viewer.send({"type": "follow"})
    await app.hub.delete_message("demo", said["id"])
    await app.hub.mute("demo", viewer.of("welcome")[0]["viewer_id"])
    for _ in range(50):
        if await events(app, "follow"):
            break
        await asyncio.sleep(0.05)
    # Every line of the log is stamped by the hub's clock, not the machine's (the review reads these times).
    async with app.db.sessions() as s:
        stamped = (await s.execute(select(EventRow.kind, EventRow.ts))).all()
    start = ManualClock().time()
    off_clock = [k for k, ts in stamped if not start <= ts.replace(tzinfo=UTC).timestamp() <= clock.time()]
    assert {k for k, _ in stamped} >= {
        "vote_opened",
        "vote_closed",
        "lottery_opened",
        "lottery_entry",
        "lottery_drawn",
        "follow",
        "message_deleted",
        "mute",
    }
    assert off_clock == []


async def test_watch_time_before_the_show_started_counts_for_a_lottery(make_room_app: MakeRoomApp) -> None:
    # A viewer who arrived before 开播 has watched the whole time; the run starting must not reset it.
    clock = ManualClock()
    app = await make_room_app(clock=clock)
    early = await app.viewer()
    clock.advance(50)
    await app.hub.set_run("demo", 9)
    late = await app.viewer()
    await app.hub.open_lottery("demo", "l2", "保温杯", 2, None, 30, {"min_watch_seconds": 40}, cue="lot")
    for viewer in (early, late):
        await viewer.send({"type": "enter_lottery", "lottery_id": "l2"})
        await viewer.wait_for(lambda m: m["type"] == "lottery_entered")
    clock.advance(31)
    result = await early.wait_for(lambda m: m["type"] == "lottery_result")
    # early: 81 s in the room (50 before the run); late: 31 s, under the 40 s minimum.
    assert [w["viewer_id"] for w in result["winners"]] == [early.of("welcome")[0]["viewer_id"]]


async def test_presence_is_logged_while_anyone_watches_and_once_when_the_last_viewer_left(
    make_room_app: MakeRoomApp, monkeypatch: Any
) -> None:
    """The alert rules and contingency plans read viewer drops from `presence` lines: a room emptying out
    must end with a line saying 0, and an empty room must not keep writing them."""
    monkeypatch.setattr("media.hub.core.PRESENCE_LOG_EVERY", 0.2)
    app = await make_room_app()

    async def online() -> list[int]:
        return [int(e.data["online"]) for e in await events(app, "presence")]

    async def until(check: Any) -> list[int]:
        for _ in range(100):
            counts = await online()
            if check(counts):
                return counts
            await asyncio.sleep(0.05)
        raise AssertionError(f"presence lines: {await online()}")

    await asyncio.sleep(0.6)
    assert await online() == []  # nobody has come yet: nothing to say
    a, b = await app.viewer(), await app.viewer()
    await until(lambda counts: 2 in counts)
    await a.close()
    await b.close()
    counts = await until(lambda counts: counts[-1:] == [0])
    await asyncio.sleep(0.8)
    assert await online() == counts  # one 0, then quiet


def test_the_studio_sparkline_samples_viewers_online_every_ten_seconds() -> None:
    state = RoomState(demo_room(), "instance")
    for at, online in [(0.0, 1), (3.0, 2), (10.0, 3), (25.0, 4), (30.0, 5)]:
        state.sample_online(at, online)
    assert list(state.online_history) == [(0.0, 1), (10.0, 3), (25.0, 4)]


async def test_the_team_gets_the_online_history_and_viewers_do_not(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    room = await app.hub.room("demo")
    room.state.sample_online(100.0, 7)
    team, viewer = await app.team(), await app.viewer()
    assert team.of("welcome")[0]["snapshot"]["online_history"] == [[100.0, 7]]
    assert viewer.of("welcome")[0]["snapshot"]["online_history"] == []
