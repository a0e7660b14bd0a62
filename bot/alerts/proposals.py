"""Suggested questions in the team's Telegram group: the viewer's question with the bot's proposed
answer and three buttons — 发送 (sent as the team's quoted reply, @viewer), 编辑 (the next reply in
the group is sent instead), 忽略 (taken off the queue).

Taps are decided first (`CALLBACK.check_update`, python-telegram-bot's `CallbackQueryHandler`
pattern, into a typed `Tap`), then acted on through the hub. Posting a suggestion goes through its
own small queue: one message per question (a digest cannot carry one keyboard per question), paced
like alerts, waiting `retry_after` on 429 and backing off while Telegram is down; a question that
was answered meanwhile is not posted.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import CallbackQueryHandler

from bot.alerts.sender import Backoff, reply_in_chat, retry_after_seconds
from media.events import RoomEvent
from media.hub import texts as _hub_texts  # noqa: F401  (the hub.error.* texts a refusal names)
from media.hub.protocol import Question
from media.i18n import CATALOGUE, t

log = logging.getLogger(__name__)

CATALOGUE.add(
    "alerts.suggest",
    {
        "alerts.suggest.card": {
            "zh-CN": "🤖 待确认 #{number}\n{nickname}：{question}\n\n机器人建议（{faq_id}）：\n{proposal}\n\n"
            "「发送」直接回复观众；「编辑」后回复这条消息写出要发的回答；「忽略」不回答。",
            "en": "🤖 To confirm #{number}\n{nickname}: {question}\n\nThe bot proposes ({faq_id}):\n{proposal}\n\n"
            "Send replies to the viewer; Edit, then reply to this message with the answer to send; "
            "Dismiss takes it off the queue.",
        },
        "alerts.suggest.send": {"zh-CN": "发送", "en": "Send"},
        "alerts.suggest.edit": {"zh-CN": "编辑", "en": "Edit"},
        "alerts.suggest.dismiss": {"zh-CN": "忽略", "en": "Dismiss"},
        "alerts.suggest.answer": {"zh-CN": "@{nickname} {answer}", "en": "@{nickname} {answer}"},
        "alerts.suggest.edit_prompt": {
            "zh-CN": "✏️ 回复这条消息，写出要发给 {nickname} 的回答（#{number}：{question}）",
            "en": "✏️ Reply to this message with the answer for {nickname} (#{number}: {question})",
        },
        "alerts.suggest.sent": {"zh-CN": "✅ 已发送（{by}）", "en": "✅ sent ({by})"},
        "alerts.suggest.edited": {"zh-CN": "✅ 已改写发送（{by}）", "en": "✅ sent edited ({by})"},
        "alerts.suggest.dismissed": {"zh-CN": "🚫 已忽略（{by}）", "en": "🚫 dismissed ({by})"},
        "alerts.suggest.done_elsewhere": {
            "zh-CN": "✅ 已在中控台处理（{by}）",
            "en": "✅ handled in the studio ({by})",
        },
        "alerts.suggest.gone": {
            "zh-CN": "这个问题已经不在等待队列里了",
            "en": "this question is no longer waiting",
        },
        "alerts.suggest.failed": {"zh-CN": "没做成：{error}", "en": "failed: {error}"},
        "alerts.suggest.editing": {
            "zh-CN": "请回复机器人的提示消息写出回答",
            "en": "reply to the bot's prompt with your answer",
        },
    },
)

Action = Literal["send", "edit", "dismiss"]


async def _acted_elsewhere(update: object, context: object) -> None:
    """The handler only decides here (`check_update`); `SuggestionDesk.handle` acts."""


CALLBACK: CallbackQueryHandler[Any, None] = CallbackQueryHandler(
    _acted_elsewhere, pattern=r"^lr:(send|edit|dismiss):(\d+)$"
)  # callback data is at most 64 bytes: "lr:send:1042"
# A tap on 编辑 waits this long for the reply that carries the edited answer.
EDIT_WINDOW = 600.0


@dataclass(frozen=True)
class Tap:
    action: Action
    message_id: int  # the viewer's chat message (the waiting question)


def parse_tap(update: Update) -> Tap | None:
    """The button a team member tapped, or None when the update is not one of ours."""
    found = CALLBACK.check_update(update)
    if not isinstance(found, re.Match):
        return None
    action: Action = found.group(1)  # type: ignore[assignment]
    return Tap(action, int(found.group(2)))


def callback_data(action: Action, message_id: int) -> str:
    return f"lr:{action}:{message_id}"


class QuestionOps(Protocol):
    """The room hub's side of a waiting question (media.hub.RoomHub)."""

    def waiting_questions(self, room_id: str) -> Sequence[Question]: ...
    async def answer_question(
        self, room_id: str, message_id: int, text: str, by: str, *, faq_id: str | None = None
    ) -> object: ...
    async def dismiss_question(self, room_id: str, message_id: int, by: str) -> None: ...


@dataclass
class _Card:
    question: Question
    telegram_id: int
    text: str
    closed: bool = False


def _who(user: Any) -> str:
    if user is None:
        return "team"
    return str(user.full_name or user.username or user.id)


class SuggestionDesk:
    """Posts suggested questions to the team chat and acts on the buttons and the edited replies."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        room_id: str,
        room: QuestionOps,
        *,
        lang: str = "zh-CN",
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        attempts: int = 20,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.room_id = room_id
        self.room = room
        self.lang = lang
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.sleep = sleep
        self.attempts = attempts
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.cards: dict[int, _Card] = {}  # by the viewer's message id
        self._by_telegram: dict[int, int] = {}  # a card's or an edit prompt's Telegram id → question
        self._editing: dict[int, tuple[int, float]] = {}  # team member's user id → (question, since)
        self.posted = 0
        self._closing: set[asyncio.Task[None]] = set()
        self._acting: set[int] = set()  # questions answered or dismissed from the group right now

    def _t(self, key: str, **params: Any) -> str:
        return t(self.lang, f"alerts.suggest.{key}", **params)

    # -- the room tells us

    def on_event(self, event: RoomEvent) -> None:
        """A suggested `faq_decision` queues a card; an answered or dismissed question closes one."""
        if event.room_id != self.room_id:
            return
        data = event.data
        message_id = data.get("message_id")
        if not isinstance(message_id, int):
            return
        if event.kind == "faq_decision" and data.get("decision") == "suggested":
            self.queue.put_nowait(message_id)
        elif event.kind in ("question_answered", "question_dismissed"):
            card = self.cards.get(message_id)
            if card is not None and not card.closed and message_id not in self._acting:
                # Answered in the studio: the card's buttons go.
                by = str(data.get("by") or "team")
                task = asyncio.get_running_loop().create_task(
                    self._close(message_id, self._t("done_elsewhere", by=by))
                )
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    def waiting(self, message_id: int) -> Question | None:
        return next(
            (q for q in self.room.waiting_questions(self.room_id) if q.message_id == message_id), None
        )

    # -- posting cards

    async def run(self) -> None:
        """Post queued cards forever (cancel to stop)."""
        while True:
            message_id = await self.queue.get()
            try:
                await self.post(message_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not post suggestion #%s to the team chat", message_id)

    def card_text(self, question: Question) -> str:
        proposal = question.proposal
        assert proposal is not None
        return self._t(
            "card",
            number=question.message_id,
            nickname=question.nickname,
            question=question.text,
            faq_id=proposal.faq_id,
            proposal=proposal.text,
        )

    def keyboard(self, message_id: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(self._t(action), callback_data=callback_data(action, message_id))
                    for action in ("send", "edit", "dismiss")
                ]
            ]
        )

    async def post(self, message_id: int) -> bool:
        """One card, retried through 429s and outages while the question is still waiting."""
        for _ in range(self.attempts):
            question = self.waiting(message_id)
            if question is None or question.proposal is None or message_id in self.cards:
                return False
            text = self.card_text(question)
            try:
                sent = await self.bot.send_message(
                    chat_id=self.chat_id, text=text, reply_markup=self.keyboard(message_id)
                )
            except RetryAfter as exc:
                await self.sleep(retry_after_seconds(exc))
                continue
            except (BadRequest, Forbidden) as exc:  # retrying will not help
                log.warning("suggestion #%s refused by Telegram: %s", message_id, exc)
                return False
            except TelegramError as exc:
                log.info("suggestion #%s not posted yet (%s); retrying", message_id, exc)
                await self.sleep(self.backoff.next())
                continue
            self.backoff.reset()
            self.cards[message_id] = _Card(question, sent.message_id, text)
            self._by_telegram[sent.message_id] = message_id
            self.posted += 1
            return True
        log.warning("suggestion #%s given up after %d attempts", message_id, self.attempts)
        return False

    # -- the team acts

    async def handle(self, update: Update) -> str | None:
        """A tap on a card, or the reply carrying an edited answer; None when it is neither."""
        tap = parse_tap(update)
        if tap is not None and update.callback_query is not None:
            return await self._tapped(tap, update.callback_query)
        message = update.message
        if message is None or not message.text or message.text.startswith("/"):
            return None
        user = message.from_user
        question_id: int | None = None
        replied = message.reply_to_message
        if replied is not None:
            question_id = self._by_telegram.get(replied.message_id)
        if question_id is None and user is not None and user.id in self._editing:
            waiting_for, since = self._editing[user.id]
            if self.clock() - since <= EDIT_WINDOW:
                question_id = waiting_for
        if question_id is None:
            return None
        if user is not None:
            self._editing.pop(user.id, None)
        return await self._send(question_id, message.text.strip(), _who(user), message, edited=True)

    async def _tapped(self, tap: Tap, query: CallbackQuery) -> str:
        by = _who(query.from_user)
        card_message = query.message
        question = self.waiting(tap.message_id)
        if tap.message_id not in self.cards and question is not None and isinstance(card_message, Message):
            # A card posted before a restart: the question came back from the log, the card from the tap.
            self.cards[tap.message_id] = _Card(question, card_message.message_id, card_message.text or "")
            self._by_telegram[card_message.message_id] = tap.message_id
        if tap.action == "edit":
            question = self.waiting(tap.message_id)
            if question is None:
                return await self._answer_query(query, self._t("gone"))
            if query.from_user is not None:
                self._editing[query.from_user.id] = (tap.message_id, self.clock())
            prompt = await self.bot.send_message(
                chat_id=self.chat_id,
                text=self._t(
                    "edit_prompt",
                    nickname=question.nickname,
                    number=question.message_id,
                    question=question.text,
                ),
                reply_markup=ForceReply(
                    selective=True,
                    input_field_placeholder=question.proposal.text[:64] if question.proposal else None,
                ),
            )
            self._by_telegram[prompt.message_id] = tap.message_id
            return await self._answer_query(query, self._t("editing"))
        if tap.action == "dismiss":
            self._acting.add(tap.message_id)
            try:
                await self.room.dismiss_question(self.room_id, tap.message_id, by)
            except Exception as exc:
                return await self._answer_query(query, self._refusal(exc))
            finally:
                self._acting.discard(tap.message_id)
            await self._close(tap.message_id, self._t("dismissed", by=by))
            return await self._answer_query(query, self._t("dismissed", by=by))
        question = self.waiting(tap.message_id)
        if question is None or question.proposal is None:
            return await self._answer_query(query, self._t("gone"))
        reply = await self._send(tap.message_id, question.proposal.text, by, None, edited=False)
        return await self._answer_query(query, reply)

    async def _send(
        self, message_id: int, text: str, by: str, reply_to: Message | None, *, edited: bool
    ) -> str:
        question = self.waiting(message_id)
        if question is None:
            result = self._t("gone")
        else:
            faq_id = question.proposal.faq_id if question.proposal is not None else None
            answer = self._t("answer", nickname=question.nickname, answer=text)
            self._acting.add(message_id)
            try:
                await self.room.answer_question(self.room_id, message_id, answer, by, faq_id=faq_id)
            except Exception as exc:
                result = self._refusal(exc)
            else:
                result = self._t("edited" if edited else "sent", by=by)
                await self._close(message_id, result)
            finally:
                self._acting.discard(message_id)
        if reply_to is not None:
            await reply_in_chat(
                self.bot,
                self.chat_id,
                result,
                reply_to.message_id,
                "could not confirm an edited answer in the team chat",
            )
        return result

    async def _close(self, message_id: int, outcome: str) -> None:
        """The card loses its buttons and says what became of it."""
        card = self.cards.get(message_id)
        if card is None or card.closed:
            return
        card.closed = True
        try:
            await self.bot.edit_message_text(
                chat_id=self.chat_id,
                message_id=card.telegram_id,
                text=f"{card.text}\n\n{outcome}",
                reply_markup=None,
            )
        except TelegramError as exc:
            log.info("could not close suggestion card #%s: %s", message_id, exc)

    async def _answer_query(self, query: CallbackQuery, text: str) -> str:
        try:
            await self.bot.answer_callback_query(query.id, text=text[:200])
        except TelegramError as exc:
            log.info("could not answer a button tap: %s", exc)
        return text

    def _refusal(self, exc: Exception) -> str:
        code = getattr(exc, "code", None)
        if isinstance(code, str) and CATALOGUE.has(f"hub.error.{code}"):
            return self._t("failed", error=t(self.lang, f"hub.error.{code}"))
        return self._t("failed", error=str(code or exc or type(exc).__name__))
