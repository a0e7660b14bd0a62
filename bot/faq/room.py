"""The FAQ bot in the room: viewer chat from the hub goes to the `Responder`; its decisions
become bot replies, questions in the studio's waiting queue and `faq_decision` events.

Only chat lines this process received (`RoomEvent.local`) are answered, so with several
processes sharing a room exactly one answers each line. The team's answer to a waiting
question is the hub's `answer_question` (the studio's operator socket): it quotes the viewer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.faq.answerer import Answer, FaqAnswerer
from bot.faq.guard import BotTextGuard
from bot.faq.llm import LlmAnswerer, LlmSettings
from bot.faq.responder import Decision, Escalate, HeardLine, Reply, Responder, decision_events
from bot.rules import Rulebook
from media.hub import HubError, RoomEvent, RoomHub
from media.hub.protocol import Proposal

log = logging.getLogger(__name__)


class FaqBot:
    """Answers viewer questions in one room from the rulebook's FAQ; `pause`/`resume` for the team."""

    def __init__(
        self,
        hub: RoomHub,
        rulebook: Rulebook,
        *,
        llm: LlmSettings | None = None,
        gather: float | None = None,
        llm_http_client: Any = None,
    ) -> None:
        self.hub = hub
        self.room_id = rulebook.room.id
        self.gather = gather
        self.llm_settings = llm
        self._llm_http_client = llm_http_client
        self.llm: LlmAnswerer | None = None
        self.responder = Responder.for_room(self._offline(rulebook), rulebook.room)
        self.guard = BotTextGuard.of(rulebook)
        if gather is not None:
            self.responder.gather = gather
        self._build_llm()
        self._pinned: str | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # -- the rulebook

    @staticmethod
    def _offline(book: Rulebook) -> FaqAnswerer:
        return FaqAnswerer.build(book.products, book.faq, book.room)

    def _build_llm(self) -> None:
        if self.llm_settings is None:
            return
        offline = self.responder.answerer
        if self.llm is None:
            self.llm = LlmAnswerer(offline, self.llm_settings, http_client=self._llm_http_client)
        else:
            self.llm = LlmAnswerer(offline, self.llm_settings, client=self.llm.client, budget=self.llm.budget)

    def on_reload(self, book: Rulebook) -> None:
        """A new rulebook: new answerer and bot settings; grouping, recent replies and pause stay."""
        if book.room.id != self.room_id:
            log.warning(
                "FAQ bot: room id changed %s → %s; answering %s only",
                self.room_id,
                book.room.id,
                self.room_id,
            )
            return
        fresh = Responder.for_room(self._offline(book), book.room)
        responder = self.responder
        responder.answerer = fresh.answerer
        responder.language = fresh.language
        responder.window = fresh.window
        responder.cap_per_minute = fresh.cap_per_minute
        responder.autonomy = fresh.autonomy
        self.guard = BotTextGuard.of(book)
        self._build_llm()

    # -- the team's switch (also /pause and /resume from Telegram)

    @property
    def paused(self) -> bool:
        return self.responder.paused

    def pause(self) -> None:
        self.responder.pause()

    def resume(self) -> None:
        self.responder.resume()

    # -- lifecycle

    def start(self) -> None:
        self._unsubscribe = self.hub.subscribe(self.on_event)
        self._task = asyncio.create_task(self._timer(), name="faq-bot-timer")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.llm is not None:
            await self.llm.client.close()

    def now(self) -> float:
        return self.hub.clock.time()

    async def _timer(self) -> None:
        while True:
            due = self.responder.next_due()
            timeout = None if due is None else max(0.0, due - self.now())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._act(self.responder.tick(self.now()))
            except Exception:
                log.exception("FAQ bot: tick failed")

    # -- chat in, decisions out

    def pinned_sku(self) -> str | None:
        room = self.hub.active(self.room_id)
        if room is not None:
            pinned = room.state.pinned
            return pinned.product.sku if pinned is not None and pinned.product is not None else None
        return self._pinned

    async def on_event(self, event: RoomEvent) -> None:
        if event.room_id != self.room_id:
            return
        if event.kind == "pin":
            sku = event.data.get("sku")
            self._pinned = sku if isinstance(sku, str) else None
            return
        if not event.is_viewer_chat or not event.local or event.viewer_id is None:
            return
        message_id = event.data.get("message_id")
        if message_id is None:
            return
        line = HeardLine(
            message_id=str(message_id),
            viewer_id=event.viewer_id,
            nickname=str(event.data.get("nickname") or ""),
            text=str(event.data.get("text") or ""),
            at=event.ts,
            role="viewer",
            pinned=self.pinned_sku(),
        )
        answer = await self._llm_answer(line) if self.llm is not None and not self.responder.paused else None
        decisions = self.responder.observe(line, answer)  # None: the offline answerer decides
        self._wake.set()  # a new group may be due earlier than the timer's current wait
        await self._act(decisions)

    async def _llm_answer(self, line: HeardLine) -> Answer | None:
        """The model's answer when it is usable and may be posted; None falls back to the offline
        decision (answer, suggest or hand over), so a question is never dropped."""
        assert self.llm is not None
        try:
            answer = await self.llm.answer(line.text, line.pinned)
        except Exception:  # the LLM edge must never cost the viewer an answer
            log.exception("FAQ bot: the LLM answer failed; offline decision used")
            return None
        if answer.text is not None:
            refusal = self.guard.refusal(answer.text)
            if refusal is not None:
                log.warning("FAQ bot: LLM answer refused by moderation (%s); offline decision used", refusal)
                return None
        return answer

    async def _act(self, decisions: list[Decision]) -> None:
        if not decisions:
            return
        async with self._lock:
            for decision in decisions:
                try:
                    await self._act_one(decision)
                except HubError as exc:
                    log.warning("FAQ bot: %s refused (%s %s)", type(decision).__name__, exc.code, exc.detail)
                except Exception:
                    log.exception("FAQ bot: acting on %s failed", type(decision).__name__)

    def _refused(self, reply: Reply) -> list[Decision]:
        """A reply the room's moderation would refuse (an FAQ answer with a blocked word or a link
        the rules never wrote): handed over instead, one viewer at a time."""
        return [
            Escalate("", viewer, nickname, message, "moderation", reply.faq_id, reply.score, reply.at)
            for viewer, nickname, message in zip(
                reply.to_viewers, reply.nicknames, reply.reply_to_message_ids, strict=True
            )
        ]

    async def _act_one(self, decision: Decision) -> None:
        if isinstance(decision, Reply) and (why := self.guard.refusal(decision.text)) is not None:
            log.warning("FAQ bot: reply for %s refused by moderation (%s); handed over", decision.faq_id, why)
            for escalate in self._refused(decision):
                await self._act_one(escalate)
            return
        reply_id: int | None = None
        if isinstance(decision, Reply):
            posted = await self.hub.say(
                self.room_id, decision.text, reply_to=int(decision.reply_to_message_ids[0]), role="bot"
            )
            reply_id = posted.id
        elif isinstance(decision, Escalate):
            proposed = decision.proposal
            proposal = (
                Proposal(faq_id=proposed.faq_id, text=proposed.text, score=proposed.score)
                if proposed is not None
                else None
            )
            await self.hub.escalate(
                self.room_id, int(decision.message_id), reason=decision.reason, proposal=proposal
            )
        room = await self.hub.room(self.room_id)
        lines = []
        for row in decision_events(decision):
            data = dict(row["data"])
            data["message_id"] = int(data["message_id"])
            if reply_id is not None:
                data["reply_message_id"] = reply_id
            lines.append(self.hub.line(room, row["kind"], viewer_id=row["viewer_id"], data=data))
        await self.hub.log(*lines)
