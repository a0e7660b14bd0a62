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

from bot.faq.answerer import FaqAnswerer
from bot.faq.llm import LlmAnswerer, LlmSettings
from bot.faq.responder import Decision, Escalate, HeardLine, Reply, Responder, decision_events
from bot.rules import Rulebook
from media.hub import HubError, RoomEvent, RoomHub

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
        if self.llm is not None and not self.responder.paused:
            answer = await self.llm.answer(line.text, line.pinned)
            decisions = self.responder.observe(line, answer)
        else:
            decisions = self.responder.observe(line)
        self._wake.set()  # a new group may be due earlier than the timer's current wait
        await self._act(decisions)

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

    async def _act_one(self, decision: Decision) -> None:
        reply_id: int | None = None
        if isinstance(decision, Reply):
            posted = await self.hub.say(
                self.room_id, decision.text, reply_to=int(decision.reply_to_message_ids[0]), role="bot"
            )
            reply_id = posted.id
        elif isinstance(decision, Escalate):
            await self.hub.escalate(self.room_id, int(decision.message_id), reason=decision.reason)
        room = await self.hub.room(self.room_id)
        lines = []
        for row in decision_events(decision):
            data = dict(row["data"])
            data["message_id"] = int(data["message_id"])
            if reply_id is not None:
                data["reply_message_id"] = reply_id
            lines.append(self.hub.line(room, row["kind"], viewer_id=row["viewer_id"], data=data))
        await self.hub.log(*lines)
