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
    text: str | None

    @property
    def faq_id(self) -> str | None:
        return self.decision.match.faq_id if self.decision.answered else None

    @property
    def score(self) -> float:
        return self.decision.match.score

    def as_json(self) -> dict[str, Any]:
        return {"query": self.query, "faq_id": self.faq_id, "answer": self.text, "score": self.score}


class FaqAnswerer:
    def __init__(self, index: FaqIndex, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.index = index
        self.threshold = threshold

    @classmethod
    def build(
        cls, products: Sequence[Product], faq: Iterable[FaqEntry], room: RoomFile | None = None
    ) -> FaqAnswerer:
        synonyms = room.synonyms if room is not None else []
        threshold = DEFAULT_THRESHOLD
        if room is not None and room.bot.answer_threshold is not None:
            threshold = room.bot.answer_threshold
        return cls(FaqIndex.build(faq, products, synonyms), threshold)

    def answer(self, question: str, product: str | None = None) -> Answer:
        """`product` is the pinned sku, if any."""
        match = self.index.best_match(question, product)
        decision = decide(match, threshold=self.threshold)
        text = None
        if decision.answered and match.entry is not None:
            text = render_answer(match.entry, self.index.product(match.product))
        return Answer(question, decision, text)
