"""The offline FAQ answerer: index + decision + rendered answer text, for the CLI and the room."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.faq.abstain import DEFAULT_THRESHOLD, FaqDecision, decide
from bot.faq.index import FaqIndex
from bot.rules.models import FaqEntry, Product, RoomFile
from bot.rules.placeholders import fill


def render_answer(entry: FaqEntry, product: Product | None) -> str:
    """The entry's answer with `{name}` `{price}` `{live_price}` `{stock}` of its product filled in."""
    return fill(entry.a, product)


@dataclass(frozen=True)
class Answer:
    query: str
    decision: FaqDecision
    text: str | None  # the reply, when answered
    proposal: str | None = None  # the proposed reply for the team, when suggested

    @property
    def faq_id(self) -> str | None:
        return self.decision.match.faq_id if self.decision.answered else None

    @property
    def proposed_faq_id(self) -> str | None:
        return self.decision.match.faq_id if self.decision.suggested else None

    @property
    def score(self) -> float:
        return self.decision.match.score

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "verdict": self.decision.verdict,
            "faq_id": self.faq_id,
            "answer": self.text,
            "proposed_faq_id": self.proposed_faq_id,
            "proposal": self.proposal,
            "score": self.score,
        }


class FaqAnswerer:
    def __init__(
        self, index: FaqIndex, threshold: float = DEFAULT_THRESHOLD, suggest_threshold: float | None = None
    ) -> None:
        self.index = index
        self.threshold = threshold
        self.suggest_threshold = suggest_threshold

    @classmethod
    def build(
        cls, products: Sequence[Product], faq: Iterable[FaqEntry], room: RoomFile | None = None
    ) -> FaqAnswerer:
        synonyms = room.synonyms if room is not None else []
        threshold = DEFAULT_THRESHOLD
        if room is not None and room.bot.answer_threshold is not None:
            threshold = room.bot.answer_threshold
        suggest = room.bot.suggest_threshold if room is not None else None
        return cls(FaqIndex.build(faq, products, synonyms), threshold, suggest)

    def answer(self, question: str, product: str | None = None) -> Answer:
        """`product` is the pinned sku, if any."""
        match = self.index.best_match(question, product)
        decision = decide(match, threshold=self.threshold, suggest_threshold=self.suggest_threshold)
        text = proposal = None
        if match.entry is not None and (decision.answered or decision.suggested):
            rendered = render_answer(match.entry, self.index.product(match.product))
            text, proposal = (rendered, None) if decision.answered else (None, rendered)
        return Answer(question, decision, text, proposal)
