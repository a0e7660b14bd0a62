"""Issue 15 part 4 over Telegram: a suggested question reaches the team's group (python-telegram-bot
over HTTP to the stand-in Bot API server) with the bot's proposal and 发送 / 编辑 / 忽略; the button
sends the proposal as the team's quoted reply (@viewer) in the running room."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from bot.app import build_app
from bot.rules import load_rulebook
from media.app import HUB
from media.config import ServerSettings
from media.store.models import EventRow

from .books import RULES
from .standin import CHAT_ID
from .standin_buttons import ButtonBotApi


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.03)


@pytest.fixture
async def buttons() -> Any:
    api = ButtonBotApi()
    await api.start()
    yield api
    await api.stop()


def after_sales_suggested(tmp_path: Path) -> Any:
    """The shipped rules with after-sales answers only ever suggested (room.yaml bot.autonomy)."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    room = rules / "room.yaml"
    room.write_text(
        room.read_text(encoding="utf-8").replace(
            "bot:\n", "bot:\n  autonomy:\n    default: auto\n    tags:\n      售后: suggest\n", 1
        ),
        encoding="utf-8",
    )
    book = load_rulebook(rules)
    assert book.room.bot.autonomy.tags == {"售后": "suggest"}
    return dataclasses.replace(book, alerts=book.alerts.model_copy(update={"quiet_hours": None}))


async def events(app: Any, kind: str) -> list[EventRow]:
    async with app[HUB].db.sessions() as s:
        return list(
            (await s.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id))).all()
        )


async def test_send_edit_and_dismiss_from_the_telegram_group(
    buttons: ButtonBotApi,
    aiohttp_client: Any,
    make_database_url: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", buttons.token)
    monkeypatch.setenv("TELEGRAM_CHAT_ID", str(CHAT_ID))
    monkeypatch.setenv("TELEGRAM_API_BASE", buttons.base)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = ServerSettings(database_url=await make_database_url("sqlite"), data_dir=str(tmp_path / "var"))
    app = build_app(after_sales_suggested(tmp_path), settings)
    client = await aiohttp_client(app)
    token = app[HUB].ids.ensure(None).token
    ws = await client.ws_connect("/ws/demo", params={"token": token, "nick": "小雨"})
    received: list[dict[str, Any]] = []

    async def read() -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = msg.json()
                received.extend(data if isinstance(data, list) else [data])

    reader = asyncio.create_task(read())
    await eventually(lambda: any(m.get("type") == "welcome" for m in received))

    async def ask(text: str) -> int:
        await ws.send_json({"type": "chat", "text": text})
        await eventually(lambda: any(m.get("type") == "chat" and m.get("text") == text for m in received))
        return int(next(m["id"] for m in received if m.get("type") == "chat" and m.get("text") == text))

    def team_reply_to(message_id: int) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in received
                if m.get("type") == "chat" and m.get("role") == "team" and m.get("reply_to") == message_id
            ),
            None,
        )

    # 1. 发送: the proposal, as it is, quoting the viewer. Telegram says 429 first: the card waits
    # `retry_after` and goes out once.
    buttons.faults.append((429, 1))
    asked = await ask("支持七天无理由吗")
    await eventually(lambda: any("支持七天无理由吗" in text for text in buttons.texts))
    card_id, card, keys = buttons.card("支持七天无理由吗")
    assert sum("支持七天无理由吗" in text for text in buttons.texts) == 1 and not buttons.faults
    assert "机器人建议（returns）" in card and "支持七天无理由退货" in card
    assert [k["text"] for k in keys] == ["发送", "编辑", "忽略"]
    assert not any(
        m.get("role") == "bot" and m.get("reply_to") == asked for m in received
    )  # never answered directly
    buttons.tap(card_id, keys[0]["callback_data"])
    await eventually(lambda: team_reply_to(asked) is not None)
    sent = team_reply_to(asked)
    assert sent is not None
    assert sent["text"].startswith("@小雨 支持七天无理由退货") and sent["quote"] == "支持七天无理由吗"
    await eventually(lambda: any(e.get("text", "").endswith("✅ 已发送（运营小王）") for e in buttons.edits))
    assert buttons.markups[card_id] in (None, {}, "")  # the card lost its buttons
    await eventually(lambda: any(q.get("text") == "✅ 已发送（运营小王）" for q in buttons.answered_queries))

    # 2. 编辑: the next reply in the group is the answer.
    asked_2 = await ask("退货运费谁出")
    await eventually(lambda: any("退货运费谁出" in text for text in buttons.texts))
    card_id, card, keys = buttons.card("退货运费谁出")
    buttons.tap(card_id, keys[1]["callback_data"])
    await eventually(lambda: any("写出要发给 小雨 的回答" in text for text in buttons.texts))
    prompt_id, _, _ = buttons.card("回复这条消息，写出要发给 小雨 的回答")
    assert buttons.markups[prompt_id]["force_reply"] is True
    buttons.reply("运费险全额赔付，您不用出运费～", prompt_id)
    await eventually(lambda: team_reply_to(asked_2) is not None)
    edited = team_reply_to(asked_2)
    assert edited is not None and edited["text"] == "@小雨 运费险全额赔付，您不用出运费～"
    await eventually(lambda: any("✅ 已改写发送（运营小王）" in text for text in buttons.texts))

    # 3. 忽略: off the queue, unanswered.
    asked_3 = await ask("能换货吗")
    await eventually(lambda: asked_3 in [q.message_id for q in app[HUB].waiting_questions("demo")])
    await eventually(lambda: any("能换货吗" in text for text in buttons.texts))
    card_id, card, keys = buttons.card("能换货吗")
    buttons.tap(card_id, keys[2]["callback_data"])
    await eventually(lambda: asked_3 not in [q.message_id for q in app[HUB].waiting_questions("demo")])
    assert team_reply_to(asked_3) is None

    # 4. Answered in the studio instead: the card loses its buttons and says so.
    asked_4 = await ask("怎么退货")
    await eventually(lambda: any("怎么退货" in text for text in buttons.texts))
    card_id, _, _ = buttons.card("怎么退货")
    await app[HUB].answer_question("demo", asked_4, "订单页申请售后就行", by="小李")
    await eventually(
        lambda: any(
            int(e["message_id"]) == card_id and e["text"].endswith("✅ 已在中控台处理（小李）")
            for e in buttons.edits
        )
    )
    assert sum(1 for e in buttons.edits if int(e["message_id"]) == card_id) == 1

    # The event log has every outcome, for the review.
    decisions = {e.data["message_id"]: e.data for e in await events(app, "faq_decision")}
    assert decisions[asked]["decision"] == "suggested" and decisions[asked]["reason"] == "autonomy"
    assert decisions[asked]["proposed"] == "returns"
    answered = {e.data["message_id"]: e.data for e in await events(app, "question_answered")}
    assert answered[asked]["faq_id"] == "returns" and answered[asked]["edited"] is False
    assert answered[asked]["by"] == "运营小王" and answered[asked]["waited"] >= 0
    assert answered[asked_2]["proposed"] == "return-shipping" and answered[asked_2]["edited"] is True
    dismissed = [e.data for e in await events(app, "question_dismissed")]
    assert [d["message_id"] for d in dismissed] == [asked_3]
    await ws.close()
    await reader


class FakeRoom:
    """The hub's question side, as a restarted room has it: the question came back from the log."""

    def __init__(self, questions: list[Any]) -> None:
        self.questions = {q.message_id: q for q in questions}
        self.answers: list[tuple[int, str, str, str | None]] = []

    def waiting_questions(self, room_id: str) -> list[Any]:
        return list(self.questions.values())

    async def answer_question(
        self, room_id: str, message_id: int, text: str, by: str, *, faq_id: str | None = None
    ) -> None:
        self.answers.append((message_id, text, by, faq_id))
        self.questions.pop(message_id)

    async def dismiss_question(self, room_id: str, message_id: int, by: str) -> None:
        self.questions.pop(message_id)


async def test_a_card_posted_before_a_restart_still_sends_and_closes(buttons: ButtonBotApi) -> None:
    from telegram import Update

    from bot.alerts.proposals import SuggestionDesk, callback_data
    from bot.alerts.startup import TelegramSettings, open_bot
    from media.hub.protocol import Proposal, Question

    question = Question(
        message_id=77,
        viewer_id="v1",
        nickname="小雨",
        text="支持七天无理由吗",
        ts=0.0,
        proposal=Proposal(faq_id="returns", text="支持七天无理由退货", score=0.6),
    )
    room = FakeRoom([question])
    client = open_bot(TelegramSettings(buttons.token, CHAT_ID, buttons.base), poll_timeout=1)
    desk = SuggestionDesk(client.bot, CHAT_ID, "demo", room)
    try:
        old_card = 555  # posted by the process before the restart; this desk never saw it
        buttons.tap(old_card, callback_data("send", 77))
        update = Update.de_json(buttons.updates[-1], client.bot)
        reply = await desk.handle(update)
        assert reply == "✅ 已发送（运营小王）"
        assert room.answers == [(77, "@小雨 支持七天无理由退货", "运营小王", "returns")]
        [edit] = buttons.edits
        assert int(edit["message_id"]) == old_card and edit["text"].endswith("✅ 已发送（运营小王）")
    finally:
        await client.close()
