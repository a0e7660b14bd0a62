"""Chat, likes, gifts and follows; moderation; the team's mute, delete and answer; the question queue."""

from __future__ import annotations

import time
import unicodedata
from collections import deque
from typing import Literal

from sqlalchemy import select, update

from media.hub.clock import as_datetime
from media.hub.connections import Connection
from media.hub.core import Room
from media.hub.events import HubError
from media.hub.lotteries import LotteryOps
from media.hub.moderation import blocked_word, clean, moderate
from media.hub.protocol import (
    ChatDeleted,
    ChatLine,
    ErrorReply,
    GiftSent,
    MuteChanged,
    Proposal,
    Question,
    QuestionAnswered,
    QuestionDismissed,
    Role,
)
from media.i18n import t
from media.store.events import append_event
from media.store.follows import follow as store_follow
from media.store.models import ChatMessage, Viewer
from media.store.once import dialect_insert

StaffRole = Literal["bot", "team", "host"]


def keyword_matches(text: str, keyword: str | None) -> bool:
    """A lottery 口令 typed in chat: the whole line, ignoring width, case and surrounding spaces."""
    if not keyword:
        return False
    return _fold(text) == _fold(keyword)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


class ChatOps(LotteryOps):
    def default_nickname(self, room: Room, role: Role) -> str:
        if role == "bot":
            return room.state.settings.bot_name
        return t(self.lang(room), f"hub.role.{role}")

    async def post_line(
        self,
        room: Room,
        *,
        text: str,
        role: Role,
        nickname: str,
        viewer_id: str | None = None,
        reply_to: int | None = None,
        cue: str | None = None,
        arrived: float | None = None,
    ) -> ChatLine:
        data: dict[str, object] = {"role": role, "nickname": nickname, "text": text}
        if reply_to is not None:
            data["reply_to"] = reply_to
        if cue is not None:
            data["cue"] = cue
        line = self.line(room, "chat", viewer_id=viewer_id, data=data)
        (message_id,) = await self.log(line)
        assert message_id is not None
        chat = ChatLine(
            id=message_id,
            role=role,
            nickname=nickname,
            text=text,
            ts=line.ts,
            reply_to=reply_to,
            quote=room.state.quote_for(reply_to),
            cue=cue,
            viewer_id=viewer_id,
        )
        await self.dispatch(room, chat, arrived=arrived)
        return chat

    async def viewer_chat(
        self, room: Room, conn: Connection, text: str, arrived: float | None = None
    ) -> None:
        now = self.clock.time()
        recent = room.recent_chat.setdefault(conn.viewer_id, deque(maxlen=100))
        decision = moderate(
            text,
            rule=room.state.settings.moderation,
            staff=conn.staff,
            muted=conn.viewer_id in room.state.muted and not conn.staff,
            recent=recent,
            now=now,
        )
        if not decision.allowed:
            reason = decision.reason or "empty"
            self.metrics.rejected.labels(reason).inc()
            conn.errors.append(time.monotonic())  # counts toward closing an abusive socket
            if reason != "empty":  # logged once per burst, when it is over (media/hub/bursts.py)
                ended = room.rejected.refused(conn.viewer_id, reason, text, now)
                if ended:
                    self.spawn(self.log_bursts(room, ended))
            conn.send(ErrorReply(code=reason, message=t(self.lang(room), f"hub.chat.{reason}")))
            return
        recent.append(now)
        lottery = room.state.lottery
        await self.post_line(
            room,
            text=decision.text,
            role=conn.role,
            nickname=conn.nickname,
            viewer_id=conn.viewer_id if conn.role == "viewer" else None,
            arrived=arrived,
        )
        if (
            conn.role == "viewer"
            and lottery is not None
            and keyword_matches(decision.text, lottery.offer.keyword)
        ):
            await self.enter_lottery_as(room, conn, lottery.offer.lottery_id, via="keyword")

    async def say(
        self,
        room_id: str,
        text: str,
        *,
        cue: str | None = None,
        reply_to: int | None = None,
        role: StaffRole = "bot",
        nickname: str | None = None,
    ) -> ChatLine:
        """Post a line as the bot (default), the team or the host. The bot's lines (cues, FAQ replies,
        a bot process's `say`) never carry a blocked word: `blocked_word` is raised instead."""
        room = await self.room(room_id)
        line = clean(text)
        if not line:
            raise HubError("empty")
        if role == "bot":
            word = blocked_word(line, room.state.settings.moderation.blocked_words)
            if word is not None:
                raise HubError("blocked_word", word)
        return await self.post_line(
            room,
            text=line[:2000],
            role=role,
            nickname=nickname or self.default_nickname(room, role),
            reply_to=reply_to,
            cue=cue,
        )

    async def delete_message(self, room_id: str, message_id: int, *, by: str = "team") -> None:
        room = await self.room(room_id)
        async with self.db.sessions() as s, s.begin():
            found = await s.execute(
                update(ChatMessage)
                .where(ChatMessage.id == message_id, ChatMessage.room_id == room_id)
                .values(deleted=True)
            )
            if found.rowcount == 0:  # type: ignore[attr-defined]
                raise HubError("unknown_message", str(message_id))
            data = {"message_id": message_id, "by": by}
            event = await append_event(s, self.line(room, "message_deleted", data=data))
        self.announce(event)
        room.state.questions.pop(message_id, None)
        await self.dispatch(room, ChatDeleted(message_id=message_id))

    async def mute(self, room_id: str, viewer_id: str, *, muted: bool = True, by: str = "team") -> None:
        room = await self.room(room_id)
        now = self.clock.time()
        async with self.db.sessions() as s, s.begin():
            stmt = dialect_insert(s, Viewer).values(
                id=viewer_id,
                room_id=room_id,
                nickname=viewer_id[-8:],
                first_seen=as_datetime(now),
                last_seen=as_datetime(now),
                muted=muted,
            )
            await s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"muted": muted}))
            event = await append_event(
                s,
                self.line(room, "mute" if muted else "unmute", viewer_id=viewer_id, data={"by": by}, ts=now),
            )
        self.announce(event)
        await self.dispatch(room, MuteChanged(viewer_id=viewer_id, muted=muted, by=by))

    async def question_of(self, room_id: str, message_id: int) -> Question:
        """A chat line as a question (who asked, what, when): from the room's history, else the
        database; `unknown_message` when the room never had it."""
        room = await self.room(room_id)
        line = next((c for c in room.state.history if c.id == message_id), None)
        if line is not None:
            return Question(
                message_id=line.id,
                viewer_id=line.viewer_id,
                nickname=line.nickname,
                text=line.text,
                ts=line.ts,
            )
        async with self.db.sessions() as s:
            row = await s.scalar(
                select(ChatMessage).where(ChatMessage.id == message_id, ChatMessage.room_id == room_id)
            )
        if row is None:
            raise HubError("unknown_message", str(message_id))
        return Question(
            message_id=row.id,
            viewer_id=row.viewer_id,
            nickname=row.nickname,
            text=row.text,
            ts=row.ts.timestamp(),
        )

    async def escalate(
        self, room_id: str, message_id: int, *, reason: str | None = None, proposal: Proposal | None = None
    ) -> Question:
        """Put a viewer's question in the studio's queue of questions waiting for a human, with the
        bot's proposed answer when it has one."""
        room = await self.room(room_id)
        question = await self.question_of(room_id, message_id)
        question = question.model_copy(update={"reason": reason, "proposal": proposal})
        await self.dispatch(room, question)
        return question

    def waiting_questions(self, room_id: str) -> list[Question]:
        room = self.active(room_id)
        return sorted(room.state.questions.values(), key=lambda q: q.ts) if room else []

    async def answer_question(
        self, room_id: str, message_id: int, text: str, by: str, *, faq_id: str | None = None
    ) -> ChatLine:
        """Post a team answer quoting the viewer, and take the question off the queue. The log says
        whether the bot had proposed an answer, and whether the team sent it as it was or edited it."""
        room = await self.room(room_id)
        question = room.state.questions.get(message_id)
        asker = question.nickname if question is not None else room.state.nickname_of(message_id)
        # Like the bot's replies: the viewer is quoted and @-mentioned, so they see it is for them.
        shown = text if asker is None or text.lstrip().startswith(f"@{asker}") else f"@{asker} {text}"
        answer = await self.say(room_id, shown, reply_to=message_id, role="team", nickname=by)
        data: dict[str, object] = {"message_id": message_id, "answer_message_id": answer.id, "by": by}
        if faq_id is not None:
            data["faq_id"] = faq_id
        proposal = question.proposal if question is not None else None
        if proposal is not None and question is not None:
            # "@nickname " in front (the Telegram button and the bot's own replies name the viewer)
            # is not an edit of the proposal.
            sent = text.strip().removeprefix(f"@{question.nickname}").strip()
            data["proposed"] = proposal.faq_id
            data["edited"] = proposal.text.strip() != sent
        if question is not None:
            data["waited"] = round(max(0.0, self.clock.time() - question.ts), 3)
        await self.log(
            self.line(
                room, "question_answered", viewer_id=question.viewer_id if question else None, data=data
            )
        )
        await self.dispatch(room, QuestionAnswered(message_id=message_id, answer_message_id=answer.id, by=by))
        return answer

    async def dismiss_question(self, room_id: str, message_id: int, by: str) -> None:
        """Take a question off the queue without an answer (logged, so the review counts it)."""
        room = await self.room(room_id)
        question = room.state.questions.get(message_id)
        if question is None:
            raise HubError("unknown_message", str(message_id))
        data = {
            "message_id": message_id,
            "by": by,
            "waited": round(max(0.0, self.clock.time() - question.ts), 3),
        }
        await self.log(self.line(room, "question_dismissed", viewer_id=question.viewer_id, data=data))
        await self.dispatch(room, QuestionDismissed(message_id=message_id, by=by))

    # -- likes, gifts, follows

    def like(self, room: Room, conn: Connection, count: int) -> None:
        """Coalesced per viewer and logged once a second (docs/events.md allows it)."""
        room.pending_likes[conn.viewer_id] = room.pending_likes.get(conn.viewer_id, 0) + count

    async def gift(self, room: Room, conn: Connection, gift_id: str) -> None:
        gift = next((g for g in room.state.settings.gifts if g.id == gift_id), None)
        if gift is None:
            conn.send(ErrorReply(code="unknown_gift", message=t(self.lang(room), "hub.error.unknown_gift")))
            return
        await self.log(
            self.line(room, "gift", viewer_id=conn.viewer_id, data={"gift_id": gift.id, "name": gift.name})
        )
        await self.dispatch(
            room,
            GiftSent(
                nickname=conn.nickname,
                gift_id=gift.id,
                name=gift.name,
                icon=gift.icon,
                viewer_id=conn.viewer_id,
            ),
            arrived=time.perf_counter(),
        )

    async def follow(self, room: Room, conn: Connection) -> None:
        async with self.db.sessions() as s, s.begin():
            recorded = await store_follow(s, room.id, conn.viewer_id)
            if recorded.created:
                event = await append_event(s, self.line(room, "follow", viewer_id=conn.viewer_id, data={}))
        if recorded.created:
            self.announce(event)
