"""The questions the FAQ bot queued for the team, followed through the event log: what the viewer
asked, what the bot proposed, and whether the team sent it, edited it, answered it or dismissed it.
Read by the review's counts and by `liveroom faq gaps`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.review.results import QueuedQuestion


@dataclass
class _Open:
    message_id: str
    text: str
    nickname: str
    at: float
    decision: str
    reason: str
    proposed: str | None
    outcome: str = "waiting"
    answer: str | None = None
    answer_faq_id: str | None = None
    waited: float | None = None


def _key(value: object) -> str | None:
    """Message ids are ints in the room's log (strings in synthetic ones): compared as text."""
    if value is None or isinstance(value, bool):
        return None
    return str(value)


class QuestionLedger:
    """Fed the run's `chat`, `faq_decision`, `question_answered` and `question_dismissed` events."""

    def __init__(self) -> None:
        self._lines: dict[str, tuple[float, str, str]] = {}  # viewer lines: id → (t, text, nickname)
        self._team: dict[str, str] = {}  # team lines (answers): id → text
        self._queued: dict[str, _Open] = {}

    def chat(self, t: float, data: dict[str, object]) -> None:
        message_id = _key(data.get("message_id"))
        if message_id is None:
            return
        role = data.get("role", "viewer")
        text = " ".join(str(data.get("text") or "").split())
        if role == "viewer":
            self._lines[message_id] = (t, text, str(data.get("nickname") or ""))
        elif role == "team":
            self._team[message_id] = text

    def decided(self, t: float, data: dict[str, object]) -> None:
        decision = data.get("decision")
        message_id = _key(data.get("message_id"))
        if decision not in ("escalated", "suggested") or message_id is None:
            return
        asked_at, text, nickname = self._lines.get(message_id, (t, "", ""))
        if not text:
            return
        proposed = data.get("proposed")
        self._queued[message_id] = _Open(
            message_id,
            text,
            nickname,
            asked_at,
            str(decision),
            str(data.get("reason") or ""),
            proposed if isinstance(proposed, str) else None,
        )

    def answered(self, t: float, data: dict[str, object]) -> None:
        question = self._queued.get(_key(data.get("message_id")) or "")
        if question is None or question.outcome != "waiting":
            return  # the first answer is the one the viewer saw
        if data.get("proposed") is not None:
            question.outcome = "edited" if data.get("edited") is True else "sent"
        else:
            question.outcome = "answered"
        answer = self._team.get(_key(data.get("answer_message_id")) or "")
        if answer is not None:
            answer = answer.removeprefix(f"@{question.nickname}").strip() if question.nickname else answer
        question.answer = answer or None
        faq_id = data.get("faq_id")
        question.answer_faq_id = faq_id if isinstance(faq_id, str) else None
        question.waited = _seconds(data.get("waited"), t - question.at)

    def dismissed(self, t: float, data: dict[str, object]) -> None:
        question = self._queued.get(_key(data.get("message_id")) or "")
        if question is None or question.outcome != "waiting":
            return
        question.outcome = "dismissed"
        question.waited = _seconds(data.get("waited"), t - question.at)

    def result(self) -> tuple[QueuedQuestion, ...]:
        return tuple(
            QueuedQuestion(
                q.message_id,
                q.text,
                round(q.at, 3),
                q.decision,
                q.reason,
                q.proposed,
                q.outcome,
                q.answer,
                q.answer_faq_id,
                q.waited,
            )
            for q in sorted(self._queued.values(), key=lambda q: q.at)
        )


def _seconds(value: object, otherwise: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 3)
    return round(max(0.0, otherwise), 3)
