"""The offline FAQ answerer: lexical index + semantic index, fused and decided by the
calibrated model, and the rendered answer text — for the CLI and the room."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.faq.abstain import FaqDecision, about_own_order, decide, looks_like_question
from bot.faq.calibrate import Calibration, Evidence, Exemplars, Ranked, shipped, shipped_exemplars
from bot.faq.index import FaqIndex, Match, Scored
from bot.faq.semantic import Embedder, EmbedError, SemanticIndex, default_embedder, prepare
from bot.rules.models import FaqEntry, Product, RoomFile
from bot.rules.placeholders import fill

# Semantic candidates per question, on top of the lexical index's own.
SEMANTIC_CANDIDATES = 10


def render_answer(entry: FaqEntry, product: Product | None) -> str:
    """The entry's answer with `{name}` `{price}` `{live_price}` `{stock}` of its product filled in."""
    return fill(entry.a, product)


@dataclass(frozen=True)
class Answer:
    query: str
    decision: FaqDecision
    text: str | None  # the reply, when answered
    proposal: str | None = None  # the proposed reply for the team, when suggested
    fused: float = 0.0  # the fused lexical + semantic score of the best entry

    @property
    def faq_id(self) -> str | None:
        return self.decision.match.faq_id if self.decision.answered else None

    @property
    def proposed_faq_id(self) -> str | None:
        return self.decision.match.faq_id if self.decision.suggested else None

    @property
    def best_faq_id(self) -> str | None:
        """The answered or proposed entry."""
        return self.faq_id or self.proposed_faq_id

    @property
    def score(self) -> float:
        """The calibrated probability that the best entry is right."""
        return self.decision.match.score

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "verdict": self.decision.verdict,
            "faq_id": self.faq_id,
            "answer": self.text,
            "proposed_faq_id": self.proposed_faq_id,
            "proposal": self.proposal,
            "score": round(self.score, 4),
            "fused": round(self.fused, 4),
        }


def entry_texts(entries: Sequence[FaqEntry]) -> tuple[list[str], list[int]]:
    """What the semantic channel embeds of each entry: its example questions, then (after
    all of them) every entry's answer, one per entry in order."""
    texts: list[str] = []
    owners: list[int] = []
    for i, entry in enumerate(entries):
        for q in entry.q:
            texts.append(prepare(q))
            owners.append(i)
    for i, entry in enumerate(entries):
        texts.append(prepare(entry.a))
        owners.append(i)
    return texts, owners


class FaqAnswerer:
    def __init__(
        self,
        index: FaqIndex,
        semantic: SemanticIndex,
        calibration: Calibration | None = None,
        threshold: float | None = None,
        suggest_threshold: float | None = None,
        *,
        exemplars: Exemplars | None = None,
    ) -> None:
        self.index = index
        self.semantic = semantic
        self.calibration = calibration or shipped()
        self.exemplars = exemplars if exemplars is not None else _exemplars_for(semantic)
        self.threshold = self.calibration.answer_threshold if threshold is None else threshold
        self.suggest_threshold = (
            self.calibration.suggest_threshold if suggest_threshold is None else suggest_threshold
        )
        self.entries = [d.entry for d in index.docs]
        self._position = {e.id: i for i, e in enumerate(self.entries)}
        skus = sorted({e.product for e in self.entries if e.product is not None})
        self._sku_code = {sku: k for k, sku in enumerate(skus)}
        self._codes = np.array(
            [-1 if e.product is None else self._sku_code[e.product] for e in self.entries], dtype=np.int64
        )
        self._questions = len(semantic.owners) - len(self.entries)
        self._starts = np.searchsorted(semantic.owners[: self._questions], np.arange(len(self.entries)))
        self._entry_vectors: tuple[int, np.ndarray] | None = None

    def entry_vectors(self) -> np.ndarray:
        """Each entry's embedding: the mean of its example questions', normalised (again
        after a fall-back to the built-in model)."""
        matrix = self.semantic.matrix
        if self._entry_vectors is None or self._entry_vectors[0] != id(matrix):
            n = len(self.entries)
            sums = np.zeros((n, matrix.shape[1]), dtype=np.float32)
            if n and self._questions:
                np.add.at(sums, self.semantic.owners[: self._questions], matrix[: self._questions])
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            self._entry_vectors = (id(matrix), sums / np.maximum(norms, 1e-9))
        return self._entry_vectors[1]

    @classmethod
    def build(
        cls,
        products: Sequence[Product],
        faq: Iterable[FaqEntry],
        room: RoomFile | None = None,
        *,
        embedder: Embedder | None = None,
        calibration: Calibration | None = None,
    ) -> FaqAnswerer:
        """The index of the entries (their embeddings computed once, here)."""
        entries = list(faq)
        synonyms = room.synonyms if room is not None else []
        threshold = room.bot.answer_threshold if room is not None else None
        suggest = room.bot.suggest_threshold if room is not None else None
        index = FaqIndex.build(entries, products, synonyms)
        texts, owners = entry_texts(entries)
        semantic = SemanticIndex(texts, owners, embedder or default_embedder())
        return cls(index, semantic, calibration, threshold, suggest)

    def evidence(self, question: str, product: str | None = None) -> Evidence:
        """Both channels' scores of the candidate entries (`product`: the pinned sku)."""
        analysis, scored, _ = self.index.ranked(question, product)
        about = self.index.context_products(analysis, product)
        n = len(self.entries)
        if n == 0:
            empty = np.zeros(0)
            return Evidence(
                question,
                empty.astype(np.int64),
                empty,
                empty,
                empty.astype(np.int64),
                False,
                0,
                0,
                empty=analysis.empty,
                answer=empty,
            )
        vector = self.semantic.embed(prepare(question))
        sims = self.semantic.similarities(vector)
        per_entry = np.maximum.reduceat(sims[: self._questions], self._starts)
        per_answer = sims[self._questions :]
        about_codes = [self._sku_code[s] for s in about if s in self._sku_code]
        shop_wide = self._codes < 0
        if about:
            named = np.isin(self._codes, about_codes) if about_codes else np.zeros(n, dtype=bool)
            allowed = shop_wide | named
            context = np.where(named, 1, 0)
        else:
            allowed = np.ones(n, dtype=bool)
            context = np.where(shop_wide, 0, -1)
        masked = np.where(allowed, per_entry, -np.inf)
        k = min(SEMANTIC_CANDIDATES, int(allowed.sum()))
        semantic_top = np.argpartition(-masked, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
        lexical = {self._position[s.entry.id]: s.score for s in scored}
        positions = sorted({*lexical, *(int(i) for i in semantic_top if allowed[i])})
        cands = np.array(positions, dtype=np.int64)
        unknown = self.index.unknown_words(analysis)
        return Evidence(
            question=question,
            candidates=cands,
            lexical=np.array([lexical.get(p, 0.0) for p in positions], dtype=np.float64),
            semantic=per_entry[cands].astype(np.float64),
            answer=per_answer[cands].astype(np.float64),
            context=context[cands].astype(np.int64),
            asked=looks_like_question(question),
            unknown=len(unknown),
            words=len(analysis.words),
            own_order=about_own_order(question),
            sku=next(iter(about)) if len(about) == 1 else None,
            products_named=analysis.products,
            empty=analysis.empty,
            vector=vector,
            entry_vectors=self.entry_vectors()[cands],
        )

    def decide(self, ev: Evidence, ranked: Ranked) -> Answer:
        entry = self.entries[ranked.best] if ranked.best is not None else None
        runner = self.entries[ranked.runner_up] if ranked.runner_up is not None else None
        match = Match(
            ev.question,
            entry,
            round(ranked.probability, 4),
            (entry.product if entry is not None else None) or ev.sku,
            Scored(runner, round(ranked.runner_fused, 4)) if runner is not None else None,
            products_named=ev.products_named,
            empty=ev.empty,
        )
        decision = decide(match, threshold=self.threshold, suggest_threshold=self.suggest_threshold)
        text = proposal = None
        if entry is not None and (decision.answered or decision.suggested):
            rendered = render_answer(entry, self.index.product(match.product))
            text, proposal = (rendered, None) if decision.answered else (None, rendered)
        return Answer(ev.question, decision, text, proposal, ranked.fused)

    def answer(self, question: str, product: str | None = None) -> Answer:
        """`product` is the pinned sku, if any."""
        ev = self.evidence(question, product)
        return self.decide(ev, self.rank(ev))

    def rank(self, ev: Evidence) -> Ranked:
        if self.exemplars.model and self.exemplars.model != self.semantic.model:
            # the endpoint failed since the build: the index is on the built-in model now
            self.exemplars = _exemplars_for(self.semantic)
        return self.calibration.rank(ev, self.exemplars)


_EXEMPLARS: dict[str, Exemplars] = {}


def _exemplars_for(semantic: SemanticIndex) -> Exemplars:
    """The shipped exemplars in the semantic index's embedding space (embedded once per
    process for a remote model)."""
    name = semantic.embedder.name
    if name not in _EXEMPLARS:
        try:
            _EXEMPLARS[name] = shipped_exemplars().embedded_with(semantic.embedder)
        except EmbedError as exc:
            semantic.fall_back(exc)
            return _exemplars_for(semantic)
    return _EXEMPLARS[name]
