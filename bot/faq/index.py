"""The FAQ index: finds the entry a viewer's question is about, with a calibrated score.

BM25 (rank_bm25's Okapi statistics, read through an inverted index so a question only
touches entries that share a feature with it) picks candidates; each candidate then gets
a score in [0, 1]: how much of the question the entry explains and how much of its best
example question the viewer asked, IDF-weighted, over words/concepts and over
character bigrams. The score is what the abstain threshold is calibrated on."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rank_bm25 import BM25Okapi

from bot.faq.features import Analysis, Analyzer
from bot.faq.lexicon import Lexicon
from bot.rules.models import FaqEntry, Product

CANDIDATES = 30
# A product's entry asked about with no product pinned or named: possible, but less sure.
NO_CONTEXT = 0.85
WORD_CHANNEL = 0.6
# A question word that only the answer contains counts for less than one in an example question.
ANSWER_CREDIT = 0.5
WEAK = 0.5
UNKNOWN_NUMBER = 0.5
# A word no entry knows is a sign the viewer asks about something else.
UNKNOWN = 1.25
# Question scaffolding (can / how / what / use / is there): it says a question is being
# asked, rarely what about, so sharing it with an entry proves little.
FUNCTION_CONCEPTS = frozenset({"c:可以", "c:怎么", "c:什么", "c:有没有", "c:使用", "c:哪个", "c:哪里"})
FUNCTION = 0.3


@dataclass(frozen=True)
class Scored:
    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class Match:
    """The best entry for a question (or none), and how sure the index is."""

    question: str
    entry: FaqEntry | None
    score: float
    product: str | None = None
    runner_up: Scored | None = None
    candidates: tuple[Scored, ...] = ()
    products_named: frozenset[str] = frozenset()
    empty: bool = False
    # Words of the question that appear nowhere in the FAQ (examples, tags or answers): a
    # sign the viewer asks about something next to what the matched entry says.
    unknown: tuple[str, ...] = ()

    @property
    def faq_id(self) -> str | None:
        return self.entry.id if self.entry is not None else None

    @property
    def margin(self) -> float:
        return self.score - (self.runner_up.score if self.runner_up is not None else 0.0)


@dataclass
class _Doc:
    entry: FaqEntry
    questions: list[Analysis]
    words: frozenset[str]
    bigrams: frozenset[str]
    answer_words: frozenset[str]
    answer_bigrams: frozenset[str]
    tokens: list[str] = field(default_factory=list)


class FaqIndex:
    def __init__(self, analyzer: Analyzer, docs: list[_Doc], products: Sequence[Product]) -> None:
        self.analyzer = analyzer
        self.docs = docs
        self.products = {p.sku: p for p in products}
        self._bm25 = BM25Okapi([d.tokens for d in docs]) if docs else None
        # Score weights come from the example questions and tags only: that is the language
        # viewers share with the FAQ; answers are long and would flatten every weight.
        df: Counter[str] = Counter(f for d in docs for f in d.words | d.bigrams)
        n = len(docs)
        self._idf = {f: math.log(1 + (n - c + 0.5) / (c + 0.5)) for f, c in df.items()}
        self._idf_max = math.log(1 + (n + 0.5) / 0.5)
        self._answer_words = frozenset(w for d in docs for w in d.answer_words)
        self._postings: dict[str, list[tuple[int, float]]] = {}
        if self._bm25 is not None:
            bm = self._bm25
            for i, (freqs, length) in enumerate(zip(bm.doc_freqs, bm.doc_len, strict=True)):
                norm = bm.k1 * (1 - bm.b + bm.b * length / bm.avgdl)
                for token, tf in freqs.items():
                    weight = bm.idf[token] * tf * (bm.k1 + 1) / (tf + norm)
                    self._postings.setdefault(token, []).append((i, weight))

    @classmethod
    def build(
        cls,
        entries: Iterable[FaqEntry],
        products: Sequence[Product] = (),
        synonyms: Iterable[Sequence[str]] = (),
    ) -> FaqIndex:
        """Index `entries`; `synonyms` are room.yaml's extra groups."""
        entries = list(entries)
        corpus = [text for e in entries for text in (*e.q, e.a, *e.tags)]
        analyzer = Analyzer(Lexicon.build(synonyms), products, corpus)
        docs: list[_Doc] = []
        for entry in entries:
            questions = [analyzer.analyse(q) for q in entry.q]
            tags = [analyzer.analyse(t) for t in entry.tags]
            answer = analyzer.analyse(entry.a)
            words = frozenset(w for a in [*questions, *tags] for w in a.words)
            bigrams = frozenset(b for a in [*questions, *tags] for b in a.bigrams)
            # Example questions count twice in BM25: they are written the way viewers ask.
            tokens = [t for a in questions for t in (*a.words, *a.bigrams)] * 2
            tokens += [*(t for a in tags for t in a.words), *answer.words, *answer.bigrams]
            docs.append(
                _Doc(
                    entry=entry,
                    questions=questions,
                    words=words,
                    bigrams=bigrams,
                    answer_words=frozenset(answer.words),
                    answer_bigrams=frozenset(answer.bigrams),
                    tokens=tokens,
                )
            )
        return cls(analyzer, docs, products)

    # -- scoring -------------------------------------------------------------

    def _weight(self, feature: str, analysis: Analysis) -> float:
        if feature in FUNCTION_CONCEPTS:
            return FUNCTION * self._idf.get(feature, self._idf_max)
        idf = self._idf.get(feature)
        if idf is None:
            return self._idf_max * (UNKNOWN_NUMBER if feature.startswith("n:") else UNKNOWN)
        return idf * (WEAK if feature in analysis.weak else 1.0)

    def _channel(
        self,
        asked: Sequence[str],
        analysis: Analysis,
        examples: Iterable[Sequence[str]],
        entry_features: frozenset[str],
        answer_features: frozenset[str],
    ) -> float:
        asked_set = set(asked)
        if not asked_set:
            return 0.0
        weights = {f: self._weight(f, analysis) for f in asked_set}
        total = sum(weights.values())
        explained = sum(
            w * (1.0 if f in entry_features else ANSWER_CREDIT if f in answer_features else 0.0)
            for f, w in weights.items()
        )
        question_cover = explained / total if total else 0.0
        best = 0.0
        for example in examples:
            example_set = set(example)
            if not example_set:
                continue
            ex_weights = {
                f: self._idf.get(f, self._idf_max) * (FUNCTION if f in FUNCTION_CONCEPTS else 1.0)
                for f in example_set
            }
            ex_total = sum(ex_weights.values())
            covered = sum(w for f, w in ex_weights.items() if f in asked_set)
            example_cover = covered / ex_total if ex_total else 0.0
            if question_cover + example_cover > 0:
                best = max(best, 2 * question_cover * example_cover / (question_cover + example_cover))
        return best

    def _score(self, doc: _Doc, analysis: Analysis) -> float:
        words = self._channel(
            analysis.words, analysis, (q.words for q in doc.questions), doc.words, doc.answer_words
        )
        bigrams = self._channel(
            analysis.bigrams, analysis, (q.bigrams for q in doc.questions), doc.bigrams, doc.answer_bigrams
        )
        return WORD_CHANNEL * words + (1 - WORD_CHANNEL) * bigrams

    def _candidates(self, analysis: Analysis) -> list[int]:
        totals: dict[int, float] = {}
        for token in set(analysis.words) | set(analysis.bigrams):
            for i, weight in self._postings.get(token, ()):
                totals[i] = totals.get(i, 0.0) + weight
        return [i for i, _ in heapq.nlargest(CANDIDATES, totals.items(), key=lambda kv: kv[1])]

    def context_products(self, analysis: Analysis, pinned: str | None) -> frozenset[str]:
        """The products a question is about: those it names, else the pinned one."""
        if analysis.products:
            return analysis.products
        return frozenset({pinned}) if pinned else frozenset()

    def ranked(self, question: str, product: str | None = None) -> tuple[Analysis, list[Scored], str | None]:
        analysis = self.analyzer.analyse(question)
        about = self.context_products(analysis, product)
        scored: list[Scored] = []
        for i in self._candidates(analysis):
            doc = self.docs[i]
            # A product's entry answers only questions about that product; shop-wide ones answer all.
            factor = 1.0
            if doc.entry.product is not None and doc.entry.product not in about:
                if about:
                    continue
                factor = NO_CONTEXT
            scored.append(Scored(doc.entry, round(factor * self._score(doc, analysis), 4)))
        scored.sort(key=lambda s: -s.score)
        sku = next(iter(about)) if len(about) == 1 else None
        return analysis, scored, sku

    def best_match(self, question: str, product: str | None = None) -> Match:
        """The best entry for `question`, `product` being the pinned sku (if any)."""
        analysis, scored, sku = self.ranked(question, product)
        if not scored:
            return Match(
                question,
                None,
                0.0,
                sku,
                products_named=analysis.products,
                empty=analysis.empty,
                unknown=self.unknown_words(analysis),
            )
        best = scored[0]
        runner = next((s for s in scored[1:] if s.entry.id != best.entry.id), None)
        entry_sku = best.entry.product or sku
        return Match(
            question,
            best.entry,
            best.score,
            entry_sku,
            runner,
            tuple(scored[:5]),
            analysis.products,
            analysis.empty,
            self.unknown_words(analysis),
        )

    def unknown_words(self, analysis: Analysis) -> tuple[str, ...]:
        """Content words (two characters or more) no entry's examples, tags or answer contain."""
        return tuple(
            w
            for w in analysis.words
            if w.startswith(("w:", "e:"))
            and len(w) > 3
            and w not in self._idf
            and w not in self._answer_words
        )

    def product(self, sku: str | None) -> Product | None:
        return self.products.get(sku) if sku else None

    def __len__(self) -> int:
        return len(self.docs)
