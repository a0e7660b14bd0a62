"""How far the bot may go on its own for one question: room.yaml `bot.autonomy` (per FAQ tag and a
default: auto / suggest / never) applied to the matcher's verdict, as a pure decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.faq.answerer import Answer
from bot.rules.models import Autonomy

Outcome = Literal["answer", "suggest", "hand_over", "silence"]


@dataclass(frozen=True)
class Proposed:
    """The bot's proposed answer for the team: the entry and the rendered reply text."""

    faq_id: str
    text: str
    score: float


@dataclass(frozen=True)
class Governed:
    """What the bot does with a question: answer it, suggest `proposal` to the team, hand it over
    without one, or stay silent; `reason` is the matcher's, or `autonomy` when the room's setting
    held the bot back."""

    outcome: Outcome
    reason: str
    proposal: Proposed | None = None


def govern(answer: Answer, autonomy: Autonomy) -> Governed:
    decision = answer.decision
    match = decision.match
    verdict = decision.verdict
    if verdict == "abstained":
        return Governed("silence", decision.reason)
    if verdict == "escalated" or match.entry is None:
        return Governed("hand_over", decision.reason)
    level = autonomy.level(match.entry.tags)
    text = answer.text if verdict == "answered" else answer.proposal
    if text is None:
        return Governed("hand_over", decision.reason)
    if level == "never":
        return Governed("hand_over", "autonomy")
    proposal = Proposed(match.entry.id, text, round(match.score, 4))
    if verdict == "suggested":
        return Governed("suggest", decision.reason, proposal)
    if level == "suggest":
        return Governed("suggest", "autonomy", proposal)
    return Governed("answer", decision.reason, proposal)
