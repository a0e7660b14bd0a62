"""Issue 19 rows 3 and 4 in a running room, the LLM mocked at HTTP level with respx: whatever the
model sends back that is not a valid grounded answer, the viewer hears the offline answer within
3 s; an answer that breaks the room's moderation rules is never posted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from aiohttp.test_utils import TestClient

from bot.app import FAQ_BOT, RunOptions, build_app
from bot.faq.guard import BotTextGuard
from bot.faq.llm import LlmSettings
from bot.rules import load_rulebook
from media.config import ServerSettings

from .respx_bridge import bridged_client
from .test_llm import completion
from .test_room_bot import RULES, faq_decisions, viewer

BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"


async def _slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(10)
    return completion('{"faq_id": "ship-time", "answer": "too late"}')


BAD_REPLIES: dict[str, Any] = {
    "junk_json": completion("{faq_id: ship-time, answer"),
    "html": httpx.Response(
        200, text="<html><body>502 Bad Gateway</body></html>", headers={"content-type": "text/html"}
    ),
    "choices_nope": httpx.Response(200, json={"choices": "nope"}),
    "message_null": httpx.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": None}],
        },
    ),
    "content_number": completion(42),
    "server_error": httpx.Response(503, json={"error": {"message": "overloaded"}}),
    "timeout": httpx.TimeoutException("read timed out"),
    "slow": _slow,
}


@pytest.fixture
def router() -> Any:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client(
    local_settings: ServerSettings, aiohttp_client: Any, router: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = build_app(load_rulebook(RULES), local_settings, RunOptions(reload_interval=5.0))
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    bot = test_client.app[FAQ_BOT]
    bot.responder.gather = 0.3
    bot.llm_settings = LlmSettings(api_key="k", model="m", base_url=BASE)  # the default 2.5 s budget
    bot._llm_http_client = bridged_client(router)
    bot._build_llm()
    yield test_client


@pytest.mark.parametrize("kind", list(BAD_REPLIES))
async def test_a_bad_llm_reply_falls_back_to_the_offline_answer_within_3_s(
    client: TestClient[Any, Any], router: Any, kind: str
) -> None:
    reply = BAD_REPLIES[kind]
    route = router.post(URL)
    if isinstance(reply, httpx.Response):
        route.mock(return_value=reply)
    else:
        route.mock(side_effect=reply)
    asker = await viewer(client, "小雨")
    started = time.monotonic()
    asked = await asker.chat("多久发货呀")
    answered = await asker.wait_for(lambda m: m.get("role") == "bot" and m.get("reply_to") == asked, within=5)
    waited = time.monotonic() - started
    assert waited < 3.0
    if kind == "slow":
        assert waited > 2.0  # the model had its 2.5 s, then the offline answer went out
    else:
        assert route.called
    assert answered["text"].startswith("@小雨 ") and "48 小时内发货" in answered["text"]
    await asyncio.sleep(0.2)
    rows = [r for r in await faq_decisions(client) if r.data["message_id"] == asked]
    assert [r.data["decision"] for r in rows] == ["answered"] and rows[0].data["faq_id"] == "ship-time"
    await asker.close()


async def test_an_llm_answer_that_breaks_moderation_is_not_posted(
    client: TestClient[Any, Any], router: Any
) -> None:
    spam = "请加微信 abc123 领红包 http://evil.example"
    router.post(URL).mock(return_value=completion(f'{{"faq_id": "ship-time", "answer": "{spam}"}}'))
    asker = await viewer(client, "阿杰")
    asked = await asker.chat("什么时候发货")
    answered = await asker.wait_for(lambda m: m.get("role") == "bot" and m.get("reply_to") == asked, within=5)
    assert "48 小时内发货" in answered["text"]  # the FAQ's own answer, offline
    await asyncio.sleep(0.3)
    said = " ".join(m.get("text", "") for m in asker.received if m.get("type") == "chat")
    assert "evil.example" not in said and "微信" not in said
    # A link alone (no blocked word) is refused too: the rules never wrote it.
    router.post(URL).mock(
        return_value=completion('{"faq_id": "courier", "answer": "看这里 www.evil.example/sf"}')
    )
    asked = await asker.chat("能发顺丰吗")
    answered = await asker.wait_for(lambda m: m.get("role") == "bot" and m.get("reply_to") == asked, within=5)
    assert "evil" not in answered["text"] and "中通" in answered["text"]
    await asker.close()


def test_the_guard_allows_what_the_rules_wrote_and_refuses_the_rest() -> None:
    book = load_rulebook(RULES)
    guard = BotTextGuard.of(book)
    product_link = book.products[0].link
    assert guard.refusal(f"@小雨 直接点 {product_link} 下单") is None
    assert guard.refusal("请加微信 abc123 领红包") == "blocked_word"
    assert guard.refusal("请 加 微 信 领红包") == "blocked_word"  # separators do not hide it
    assert guard.refusal("领红包 http://evil.example") == "link"
    assert guard.refusal("去 taobao.com 搜") == "link"
    assert guard.refusal("直播间订单 48 小时内发货") is None


async def test_the_room_refuses_a_bot_line_with_a_blocked_word(client: TestClient[Any, Any]) -> None:
    """The last line of defence, for every bot text (cues, invitations, a bot process's say)."""
    from media.app import HUB
    from media.hub import HubError

    hub = client.app[HUB]
    with pytest.raises(HubError) as refused:
        await hub.say("demo", "想要优惠的宝宝 加 微 信 领券")
    assert refused.value.code == "blocked_word"
    said = await hub.say(
        "demo", "加微信的事我们不做，直播间领券就行", role="team"
    )  # the team decides for itself
    assert said.role == "team"
