"""Optional grounded LLM answers (only with OPENAI_API_KEY): the model picks among the
offline index's top entries and phrases the answer from them, or says none applies.
Anything else — an unknown id, a timeout, 429/5xx, bad JSON, HTML, a body of the wrong shape
(`{"choices": "nope"}`, `message: null`), a spent budget — falls back to the offline decision
(answered, suggested or handed over), never to silence."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncOpenAI

from bot.faq.abstain import FaqDecision, Verdict, looks_like_question
from bot.faq.answerer import Answer, FaqAnswerer, render_answer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = (
    "You are the assistant of a live-shopping room. Answer the viewer's question ONLY from the FAQ "
    "entries given; never add facts that are not in them. Reply with one JSON object and nothing else: "
    '{"faq_id": "<the id of the entry you used>", "answer": "<a short answer in the viewer\'s language>"}, '
    'or {"faq_id": null, "answer": null} when no entry answers the question.'
)


@dataclass(frozen=True)
class LlmSettings:
    api_key: str
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    # The whole call, so a viewer hears the offline answer within 3 s when the model is slow.
    timeout: float = 2.5
    top_k: int = 4
    token_budget: int = 200_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LlmSettings | None:
        """None unless OPENAI_API_KEY is set: the LLM is strictly opt-in."""
        env = os.environ if env is None else env
        key = env.get("OPENAI_API_KEY")
        if not key:
            return None
        return cls(
            api_key=key,
            model=env.get("LIVEROOM_LLM_MODEL") or DEFAULT_MODEL,
            base_url=env.get("OPENAI_BASE_URL") or None,
            timeout=float(env.get("LIVEROOM_LLM_TIMEOUT") or 2.5),
        )


@dataclass
class TokenBudget:
    """Tokens one show may spend; when spent, the bot answers offline only."""

    limit: int
    spent: int = 0

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit

    def charge(self, tokens: int) -> None:
        self.spent += max(tokens, 0)


@dataclass(frozen=True)
class LlmChoice:
    faq_id: str | None
    answer: str | None


class LlmUnavailable(Exception):
    """The model gave nothing usable this time; use the offline answer."""


def parse_choice(content: str | None) -> LlmChoice:
    if not content:
        raise LlmUnavailable("empty reply")
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlmUnavailable(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LlmUnavailable("not a JSON object")
    faq_id, answer = data.get("faq_id"), data.get("answer")
    if faq_id is not None and not isinstance(faq_id, str):
        raise LlmUnavailable("faq_id is not a string")
    if answer is not None and not isinstance(answer, str):
        raise LlmUnavailable("answer is not a string")
    return LlmChoice(faq_id or None, answer.strip() if answer and answer.strip() else None)


def _content(response: object) -> str | None:
    """The first choice's text, read defensively: the SDK does not validate what the server sent, so
    `choices` may be a string, `message` null, `content` a number."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise LlmUnavailable("no choices")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise LlmUnavailable("content is not text")
    return content


def _tokens(response: object, guess: int) -> int:
    total = getattr(getattr(response, "usage", None), "total_tokens", None)
    return total if isinstance(total, int) and not isinstance(total, bool) else guess


class LlmAnswerer:
    def __init__(
        self,
        offline: FaqAnswerer,
        settings: LlmSettings,
        *,
        client: AsyncOpenAI | None = None,
        http_client: Any = None,
        budget: TokenBudget | None = None,
    ) -> None:
        """`http_client` (an `httpx2.AsyncClient`, the openai SDK's HTTP layer) is the seam
        for tests and proxies; by default the SDK makes its own."""
        self.offline = offline
        self.settings = settings
        self.client = client or AsyncOpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,
            http_client=http_client,
        )
        self.budget = budget or TokenBudget(settings.token_budget)

    async def _ask(self, question: str, entries: list[dict[str, str]]) -> LlmChoice:
        prompt = json.dumps({"question": question, "faq": entries}, ensure_ascii=False)
        try:
            response = await asyncio.wait_for(
                self.client.chat.completions.create(
                    model=self.settings.model,
                    messages=[
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": prompt},
                    ],
                    temperature=0,
                    max_tokens=300,
                ),
                timeout=self.settings.timeout,
            )
        except (TimeoutError, openai.APIError) as exc:
            raise LlmUnavailable(type(exc).__name__) from None
        except Exception as exc:  # the SDK met a body it could not read (HTML, wrong JSON shape)
            raise LlmUnavailable(f"unreadable reply: {type(exc).__name__}") from None
        self.budget.charge(_tokens(response, (len(prompt) + 300) // 2))
        return parse_choice(_content(response))

    async def answer(self, question: str, product: str | None = None) -> Answer:
        fallback = self.offline.answer(question, product)
        if self.budget.exhausted or fallback.decision.reason == "own_order":
            return fallback
        _, ranked, _ = self.offline.index.ranked(question, product)
        retrieved = ranked[: self.settings.top_k]
        if not retrieved:
            return fallback
        by_id = {s.entry.id: s for s in retrieved}
        sku_of = fallback.decision.match.product
        entries = [
            {
                "id": s.entry.id,
                "q": " / ".join(s.entry.q),
                "a": render_answer(s.entry, self.offline.index.product(s.entry.product or sku_of)),
            }
            for s in retrieved
        ]
        try:
            choice = await self._ask(question, entries)
        except LlmUnavailable as exc:
            log.info("LLM unavailable (%s); offline answer used", exc)
            return fallback
        except Exception:  # anything else from the edge: the offline decision still stands
            log.exception("LLM answer failed; offline answer used")
            return fallback
        match = fallback.decision.match
        if choice.faq_id is None:
            verdict: Verdict = "escalated" if looks_like_question(question) else "abstained"
            decision = FaqDecision(verdict, dataclasses.replace(match, entry=None, score=0.0), "low_score")
            return Answer(question, decision, None)
        chosen = by_id.get(choice.faq_id)
        if chosen is None:
            log.warning("LLM named %r, which was not retrieved; discarded", choice.faq_id)
            return fallback
        entry = chosen.entry
        text = choice.answer or render_answer(entry, self.offline.index.product(entry.product or sku_of))
        new_match = dataclasses.replace(
            match, entry=entry, score=chosen.score, product=entry.product or sku_of
        )
        return Answer(question, FaqDecision("answered", new_match, "match"), text)
