"""The optional LLM, mocked at HTTP level with respx: every failure falls back offline."""

import json

import httpx
import pytest
import respx

from bot.faq.llm import LlmAnswerer, LlmSettings, TokenBudget, parse_choice

from .respx_bridge import bridged_client

BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"


def completion(content, tokens=120):
    return httpx.Response(
        200,
        json={
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": tokens - 20, "completion_tokens": 20, "total_tokens": tokens},
        },
    )


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def make(answerer, router, budget=1000):
    settings = LlmSettings(api_key="k", model="m", base_url=BASE, timeout=0.3)
    return LlmAnswerer(answerer, settings, http_client=bridged_client(router), budget=TokenBudget(budget))


@pytest.fixture
def llm(answerer, router):
    return make(answerer, router)


def test_settings_only_with_an_api_key():
    assert LlmSettings.from_env({}) is None
    s = LlmSettings.from_env({"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": BASE, "LIVEROOM_LLM_MODEL": "x"})
    assert s.model == "x" and s.base_url == BASE and s.timeout == 2.5


async def test_success_uses_the_models_grounded_answer(llm, router):
    route = router.post(URL).mock(
        return_value=completion('{"faq_id": "ship-time", "answer": "48小时内发货哦"}')
    )
    result = await llm.answer("啥时候能发出来")
    assert result.faq_id == "ship-time" and result.text == "48小时内发货哦"
    sent = json.loads(route.calls[0].request.content)
    assert sent["model"] == "m"
    assert "ship-time" in sent["messages"][1]["content"]  # the retrieved entries are in the prompt
    assert llm.budget.spent == 120


async def test_none_means_no_answer(llm, router):
    router.post(URL).mock(return_value=completion('{"faq_id": null, "answer": null}'))
    result = await llm.answer("多久发货")
    assert result.faq_id is None and result.text is None
    assert result.decision.verdict == "escalated"


async def test_hallucinated_id_is_discarded(llm, router, answerer):
    router.post(URL).mock(return_value=completion('{"faq_id": "free-iphone", "answer": "送手机"}'))
    result = await llm.answer("多久发货")
    assert result.text != "送手机"
    assert result.faq_id == answerer.answer("多久发货").faq_id == "ship-time"


async def test_timeout_falls_back_offline(llm, router):
    router.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    result = await llm.answer("包邮吗")
    assert result.faq_id == "free-shipping"


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limit_and_server_errors_fall_back(llm, router, status):
    route = router.post(URL).mock(return_value=httpx.Response(status, json={"error": {"message": "no"}}))
    result = await llm.answer("包邮吗")
    assert result.faq_id == "free-shipping"
    assert route.call_count == 1  # max_retries=0: no waiting on retries inside the 2 s budget


async def test_malformed_json_falls_back(llm, router):
    router.post(URL).mock(return_value=completion("当然包邮啦！"))
    result = await llm.answer("包邮吗")
    assert result.faq_id == "free-shipping" and "偏远地区除外" in result.text


async def test_token_budget_stops_spending(answerer, router):
    llm = make(answerer, router, budget=200)
    route = router.post(URL).mock(
        return_value=completion('{"faq_id": "free-shipping", "answer": "包邮"}', tokens=150)
    )
    await llm.answer("包邮吗")
    await llm.answer("包邮吗")
    assert route.call_count == 2 and llm.budget.exhausted
    result = await llm.answer("包邮吗")
    assert route.call_count == 2
    assert result.faq_id == "free-shipping"


async def test_own_order_questions_never_reach_the_model(llm, router):
    route = router.post(URL).mock(return_value=completion('{"faq_id": "ship-time", "answer": "x"}'))
    result = await llm.answer("我的快递怎么还没到")
    assert route.call_count == 0 and result.faq_id is None


def test_parse_choice_accepts_fenced_json_and_rejects_other_shapes():
    assert parse_choice('```json\n{"faq_id": "a", "answer": "b"}\n```').faq_id == "a"
    for bad in ["[]", '{"faq_id": 3}', "", "nope"]:
        with pytest.raises(Exception, match=r".+"):
            parse_choice(bad)
