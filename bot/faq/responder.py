"""The bot's FAQ behaviour in the room as pure decisions: which viewer line gets which
reply, grouped, capped, paused or handed to the team. The room acts on the decisions;
time comes in as a parameter, so tests drive it without sleeping."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.faq.answerer import Answer, FaqAnswerer
from bot.faq.autonomy import Proposed, govern
from bot.rules.models import Autonomy
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "faq",
    {
        "faq.reply": {"zh-CN": "{mentions} {answer}", "en": "{mentions} {answer}"},
        "faq.reply_many": {
            "zh-CN": "{mentions} 等 {count} 位宝宝：{answer}",
            "en": "{mentions} and {others} more: {answer}",
        },
        "faq.team_answer": {"zh-CN": "@{nickname} {answer}", "en": "@{nickname} {answer}"},
    },
)

Role = Literal["viewer", "bot", "team", "host"]
# Replies name at most this many viewers; the rest are counted.
MAX_MENTIONS = 5


@dataclass(frozen=True)
class HeardLine:
    message_id: str
    viewer_id: str
    nickname: str
    text: str
    at: float
    role: Role = "viewer"
    pinned: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    to_viewers: tuple[str, ...]
    nicknames: tuple[str, ...]
    faq_id: str
    score: float
    reply_to_message_ids: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class Escalate:
    """A question the bot will not answer: to the studio's waiting queue and the team digest —
    suggested, with the bot's `proposal` for one tap, or handed over with none."""

    question: str
    viewer_id: str
    nickname: str
    message_id: str
    reason: str
    faq_id: str | None
    score: float
    at: float
    proposal: Proposed | None = None

    @property
    def verdict(self) -> str:
        return "suggested" if self.proposal is not None else "escalated"


@dataclass(frozen=True)
class Abstain:
    """Silence, recorded: not a question the bot should answer, or already answered."""

    message_id: str
    viewer_id: str
    reason: str
    faq_id: str | None
    score: float
    at: float


Decision = Reply | Escalate | Abstain


@dataclass
class _Pending:
    faq_id: str
    answer_text: str
    score: float
    due: float
    lines: list[HeardLine] = field(default_factory=list)


class Responder:
    """Feed it every chat line with `observe`, call `tick` often (every ~0.5 s): both return
    decisions. The first viewer's question waits `gather` seconds for others asking the
    same, so one reply names them all; the same answer is not posted again within `window`."""

    def __init__(
        self,
        answerer: FaqAnswerer,
        *,
        language: str = "zh-CN",
        window: float = 30.0,
        cap_per_minute: int = 20,
        gather: float = 1.5,
        autonomy: Autonomy | None = None,
    ) -> None:
        self.answerer = answerer
        self.autonomy = autonomy or Autonomy()
        self.language = language
        self.window = window
        self.cap_per_minute = cap_per_minute
        self.gather = gather
        self.paused = False
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._recent: dict[tuple[str, str], float] = {}
        self._sent: deque[float] = deque()

    @classmethod
    def for_room(cls, answerer: FaqAnswerer, room: Any) -> Responder:
        """Settings from a `RoomFile` (language and `bot.*`)."""
        return cls(
            answerer,
            language=room.language,
            window=room.bot.same_question_window,
            cap_per_minute=room.bot.reply_cap_per_minute,
            autonomy=room.bot.autonomy,
        )

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def observe(self, line: HeardLine, answer: Answer | None = None) -> list[Decision]:
        """Decide about one chat line. `answer` may come from elsewhere (the LLM); by default
        the offline answerer is asked."""
        if line.role != "viewer":
            return []  # never answer the team, the host or the bot itself
        decisions = self.tick(line.at)
        result = answer if answer is not None else self.answerer.answer(line.text, line.pinned)
        match = result.decision.match
        governed = govern(result, self.autonomy)
        if self.paused:
            if governed.outcome == "silence":
                decisions.append(
                    Abstain(line.message_id, line.viewer_id, "paused", match.faq_id, match.score, line.at)
                )
            else:
                decisions.append(self._escalate(line, "paused", result, governed.proposal))
            return decisions
        if governed.outcome in ("suggest", "hand_over"):
            decisions.append(self._escalate(line, governed.reason, result, governed.proposal))
            return decisions
        if governed.outcome == "silence" or result.text is None or result.faq_id is None:
            decisions.append(
                Abstain(
                    line.message_id,
                    line.viewer_id,
                    result.decision.reason,
                    match.faq_id,
                    match.score,
                    line.at,
                )
            )
            return decisions
        key = (result.faq_id, result.text)
        pending = self._pending.get(key)
        if pending is not None:
            if all(p.viewer_id != line.viewer_id for p in pending.lines):
                pending.lines.append(line)
            else:
                decisions.append(
                    Abstain(line.message_id, line.viewer_id, "repeat", result.faq_id, result.score, line.at)
                )
            return decisions
        last = self._recent.get(key)
        if last is not None and line.at - last < self.window:
            decisions.append(
                Abstain(
                    line.message_id, line.viewer_id, "answered_recently", result.faq_id, result.score, line.at
                )
            )
            return decisions
        self._pending[key] = _Pending(result.faq_id, result.text, result.score, line.at + self.gather, [line])
        return decisions

    def tick(self, now: float) -> list[Decision]:
        """Post the grouped replies that are due (and escalate those over the reply cap)."""
        decisions: list[Decision] = []
        for key, pending in sorted(self._pending.items(), key=lambda kv: kv[1].due):
            if pending.due > now:
                continue
            del self._pending[key]
            while self._sent and now - self._sent[0] >= 60.0:
                self._sent.popleft()
            if len(self._sent) >= self.cap_per_minute:
                for line in pending.lines:
                    decisions.append(
                        Escalate(
                            line.text,
                            line.viewer_id,
                            line.nickname,
                            line.message_id,
                            "reply_cap",
                            pending.faq_id,
                            pending.score,
                            now,
                            Proposed(pending.faq_id, pending.answer_text, round(pending.score, 4)),
                        )
                    )
                continue
            self._sent.append(now)
            self._recent[key] = now
            decisions.append(self._reply(pending, now))
        self._recent = {k: at for k, at in self._recent.items() if now - at < self.window}
        return decisions

    def next_due(self) -> float | None:
        """When `tick` next has something to do (for the room's timer)."""
        return min((p.due for p in self._pending.values()), default=None)

    def team_answer(self, escalated: Escalate, text: str) -> str:
        """The room text for a team member's answer to a waiting question, quoting the viewer."""
        return t(self.language, "faq.team_answer", nickname=escalated.nickname, answer=text)

    def _reply(self, pending: _Pending, now: float) -> Reply:
        lines = pending.lines
        shown = lines[:MAX_MENTIONS]
        mentions = " ".join(f"@{line.nickname}" for line in shown)
        if len(lines) > MAX_MENTIONS:
            text = t(
                self.language,
                "faq.reply_many",
                mentions=mentions,
                count=len(lines),
                others=len(lines) - len(shown),
                answer=pending.answer_text,
            )
        else:
            text = t(self.language, "faq.reply", mentions=mentions, answer=pending.answer_text)
        return Reply(
            text=text,
            to_viewers=tuple(line.viewer_id for line in lines),
            nicknames=tuple(line.nickname for line in lines),
            faq_id=pending.faq_id,
            score=pending.score,
            reply_to_message_ids=tuple(line.message_id for line in lines),
            at=now,
        )

    def _escalate(self, line: HeardLine, reason: str, answer: Answer, proposal: Proposed | None) -> Escalate:
        match = answer.decision.match
        return Escalate(
            line.text,
            line.viewer_id,
            line.nickname,
            line.message_id,
            reason,
            match.faq_id,
            match.score,
            line.at,
            proposal,
        )


def decision_events(decision: Decision) -> list[dict[str, Any]]:
    """`faq_decision` event-log rows (docs/events.md), one per viewer message decided."""
    if isinstance(decision, Reply):
        return [
            {
                "kind": "faq_decision",
                "viewer_id": viewer,
                "data": {
                    "message_id": message,
                    "decision": "answered",
                    "faq_id": decision.faq_id,
                    "score": decision.score,
                },
            }
            for viewer, message in zip(decision.to_viewers, decision.reply_to_message_ids, strict=True)
        ]
    data: dict[str, Any] = {
        "message_id": decision.message_id,
        "decision": decision.verdict if isinstance(decision, Escalate) else "abstained",
        "faq_id": decision.faq_id,
        "score": decision.score,
        "reason": decision.reason,
    }
    if isinstance(decision, Escalate) and decision.proposal is not None:
        # The proposal as the team saw it: the review compares it with what was sent, and a restarted
        # room puts the question back in the queue with it.
        data["proposed"] = decision.proposal.faq_id
        data["proposal"] = decision.proposal.text
    return [{"kind": "faq_decision", "viewer_id": decision.viewer_id, "data": data}]
