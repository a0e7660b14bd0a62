"""Evaluation of the FAQ answerer on a labelled TSV of viewer questions (`liveroom eval-faq`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.rules.models import FaqEntry, Product, RoomFile

if TYPE_CHECKING:
    from bot.faq.answerer import FaqAnswerer
    from bot.faq.calibrate import Calibration, Exemplars, Labelled
    from bot.faq.semantic import Embedder

REQUIRED_COLUMNS = ("query", "expected", "kind")
ABSTAIN = "-"


class TsvError(ValueError):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class EvalRow:
    line: int
    query: str
    expected: str | None  # None: the bot must not answer
    kind: str
    product: str | None = None


def read_queries(path: str | Path) -> list[EvalRow]:
    """Rows of a TSV with a header naming `query`, `expected` (`-` = must abstain), `kind`
    and optionally `product` (the pinned sku)."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TsvError(shown, 0, "file not found") from None
    except UnicodeDecodeError as exc:
        raise TsvError(shown, 1, f"not UTF-8 ({exc.reason})") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TsvError(shown, 1, "empty file: expected a header line 'query<TAB>expected<TAB>kind'")
    header = [h.strip() for h in lines[0].split("\t")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TsvError(shown, 1, f"header lacks column(s) {', '.join(missing)} (tab-separated)")
    rows: list[EvalRow] = []
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) > len(header):
            raise TsvError(shown, number, f"{len(cells)} columns, the header has {len(header)}")
        cells += [""] * (len(header) - len(cells))
        record = dict(zip(header, (c.strip() for c in cells), strict=True))
        if not record["query"]:
            raise TsvError(shown, number, "empty query")
        if not record["expected"]:
            raise TsvError(
                shown, number, "empty expected (write an FAQ id, or - when the bot must not answer)"
            )
        if not record["kind"]:
            raise TsvError(shown, number, "empty kind")
        expected = None if record["expected"] == ABSTAIN else record["expected"]
        rows.append(EvalRow(number, record["query"], expected, record["kind"], record.get("product") or None))
    if not rows:
        raise TsvError(shown, len(lines), "no queries after the header")
    return rows


@dataclass
class Tally:
    in_scope: int = 0
    correct: int = 0
    must_abstain: int = 0
    abstained: int = 0
    wrong: int = 0
    # in scope, and the answered or proposed entry is the right one
    proposed_right: int = 0
    suggested: int = 0

    def merge(self, other: Tally) -> None:
        for name in (
            "in_scope",
            "correct",
            "must_abstain",
            "abstained",
            "wrong",
            "proposed_right",
            "suggested",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def answer_or_proposal(self) -> float | None:
        return self.proposed_right / self.in_scope if self.in_scope else None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "rows": self.total,
            "in_scope": self.in_scope,
            "must_abstain": self.must_abstain,
            "correct": self.correct,
            "wrong": self.wrong,
            "suggested": self.suggested,
            "accuracy": self.accuracy,
            "wrong_rate": self.wrong_rate,
            "abstain_recall": self.abstain_recall,
            "answer_or_proposal": self.answer_or_proposal,
        }

    @property
    def total(self) -> int:
        return self.in_scope + self.must_abstain

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.in_scope if self.in_scope else None

    @property
    def wrong_rate(self) -> float | None:
        return self.wrong / self.total if self.total else None

    @property
    def abstain_recall(self) -> float | None:
        return self.abstained / self.must_abstain if self.must_abstain else None

    def add(self, expected: str | None, got: str | None, proposed: str | None = None) -> None:
        """`got`: the answered entry; `proposed`: the entry proposed to the team (suggested)."""
        if proposed is not None:
            self.suggested += 1
        if expected is not None and (got or proposed) == expected:
            self.proposed_right += 1
        if expected is None:
            self.must_abstain += 1
            if got is None:
                self.abstained += 1
            else:
                self.wrong += 1
        else:
            self.in_scope += 1
            if got == expected:
                self.correct += 1
            elif got is not None:
                self.wrong += 1


@dataclass
class EvalReport:
    overall: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=dict)
    misses: list[tuple[EvalRow, str | None, float]] = field(default_factory=list)


def evaluate(
    rows: Iterable[EvalRow], answer: Callable[[str, str | None], tuple[str | None, float]]
) -> EvalReport:
    """`answer(query, pinned_sku)` returns the answered FAQ id (None = no answer) and its score."""
    report = EvalReport()
    for row in rows:
        got, score = answer(row.query, row.product)
        report.overall.add(row.expected, got)
        report.kinds.setdefault(row.kind, Tally()).add(row.expected, got)
        if got != row.expected:
            report.misses.append((row, got, score))
    return report


# -- leave-one-shop-out over a corpus of shops (tests/data/shops) ---------------------------

# A shop folder holding this file is sealed: never looked at while developing, never fitted
# on, scored only when asked for (eval-faq --sealed include|only).
SEALED_MARKER = "SEALED"
SealedMode = Literal["exclude", "include", "only"]


@dataclass
class Shop:
    name: str
    path: Path
    products: tuple[Product, ...]
    faq: tuple[FaqEntry, ...]
    room: RoomFile | None
    rows: list[EvalRow]
    sealed: bool
    language: str = "zh-CN"


class ShopError(ValueError):
    pass


def find_shops(root: str | Path, sealed: SealedMode = "exclude") -> list[Path]:
    base = Path(root)
    if not base.is_dir():
        raise ShopError(f"{base}: not a directory")
    found = []
    for path in sorted(p for p in base.iterdir() if p.is_dir() and (p / "queries.tsv").exists()):
        is_sealed = (path / SEALED_MARKER).exists()
        if (sealed == "exclude" and is_sealed) or (sealed == "only" and not is_sealed):
            continue
        found.append(path)
    if not found:
        raise ShopError(f"{base}: no shop folders (with queries.tsv) for --sealed {sealed}")
    return found


def load_shop(path: Path) -> Shop:
    """products.yaml + faq.yaml + room.yaml + queries.tsv, every id checked (RuleErrors,
    TsvError, ShopError)."""
    from bot.rules import load_faq_rules

    products, faq, room = load_faq_rules(path)
    rows = read_queries(path / "queries.tsv")
    ids = {e.id for e in faq}
    skus = {p.sku for p in products}
    for row in rows:
        if row.expected is not None and row.expected not in ids:
            raise ShopError(f"{path / 'queries.tsv'}:{row.line}: no FAQ entry '{row.expected}'")
        if row.product is not None and row.product not in skus:
            raise ShopError(f"{path / 'queries.tsv'}:{row.line}: unknown product sku '{row.product}'")
    language = room.language if room is not None else "zh-CN"
    return Shop(path.name, path, products, faq, room, rows, (path / SEALED_MARKER).exists(), language)


@dataclass
class ShopResult:
    shop: str
    sealed: bool
    language: str
    tally: Tally
    kinds: dict[str, Tally]
    calibration: dict[str, Any]
    misses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LosoReport:
    shops: list[ShopResult]
    model: str

    def overall(self, sealed: bool = False) -> Tally:
        total = Tally()
        for result in self.shops:
            if result.sealed == sealed:
                total.merge(result.tally)
        return total

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "method": "leave-one-shop-out: fitted on the other non-sealed shops, scored on the held-out one",
            "shops": [
                {
                    "shop": r.shop,
                    "sealed": r.sealed,
                    "language": r.language,
                    **r.tally.as_json(),
                    "kinds": {k: t.as_json() for k, t in sorted(r.kinds.items())},
                    "calibration": r.calibration,
                    "misses": r.misses,
                }
                for r in self.shops
            ],
            "overall": self.overall(False).as_json(),
            "overall_sealed": self.overall(True).as_json() if any(r.sealed for r in self.shops) else None,
        }


def collect(shop: Shop, embedder: Embedder) -> tuple[FaqAnswerer, list[Labelled]]:
    """The shop's answerer and every query's evidence, labelled with the right entry."""
    from bot.faq.answerer import FaqAnswerer
    from bot.faq.calibrate import Calibration, Labelled

    # The shipped calibration plays no part here (each fold fits its own): a blank one, so
    # that a corpus can be evaluated (and --refit) while calibration.json is out of date.
    answerer = FaqAnswerer.build(
        shop.products, shop.faq, shop.room, embedder=embedder, calibration=Calibration()
    )
    position = {e.id: i for i, e in enumerate(answerer.entries)}
    labelled = [
        Labelled(
            answerer.evidence(row.query, row.product),
            position[row.expected] if row.expected is not None else None,
            shop.name,
            "\n".join(answerer.entries[position[row.expected]].q) if row.expected is not None else "",
        )
        for row in shop.rows
    ]
    return answerer, labelled


def score_shop(
    shop: Shop,
    answerer: FaqAnswerer,
    labelled: Sequence[Labelled],
    calibration: Calibration,
    exemplars: Exemplars,
) -> ShopResult:
    from bot.faq.answerer import FaqAnswerer

    room = shop.room
    scorer = FaqAnswerer(
        answerer.index,
        answerer.semantic,
        calibration,
        room.bot.answer_threshold if room is not None else None,
        room.bot.suggest_threshold if room is not None else None,
        exemplars=exemplars,
    )
    tally = Tally()
    kinds: dict[str, Tally] = {}
    misses: list[dict[str, Any]] = []
    for row, item in zip(shop.rows, labelled, strict=True):
        result = scorer.decide(item.evidence, scorer.rank(item.evidence))
        tally.add(row.expected, result.faq_id, result.proposed_faq_id)
        kinds.setdefault(row.kind, Tally()).add(row.expected, result.faq_id, result.proposed_faq_id)
        if result.faq_id != row.expected:
            misses.append(
                {
                    "line": row.line,
                    "query": row.query,
                    "kind": row.kind,
                    "expected": row.expected,
                    "verdict": result.decision.verdict,
                    "got": result.decision.match.faq_id,
                    "probability": round(result.score, 3),
                }
            )
    summary = {
        "answer_threshold": scorer.threshold,
        "suggest_threshold": scorer.suggest_threshold,
        "semantic_weight": calibration.semantic_weight,
        "fitted_on": list(calibration.fitted_on),
    }
    return ShopResult(shop.name, shop.sealed, shop.language, tally, kinds, summary, misses)


def leave_one_shop_out(
    shops: Sequence[Shop],
    embedder: Embedder,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[LosoReport, tuple[Calibration, Exemplars]]:
    """Every non-sealed shop is scored by a model fitted on the other non-sealed shops; a
    sealed shop by the model fitted on all non-sealed ones (which is also returned: it is
    what --refit ships). Nothing is ever fitted on a sealed shop."""
    from bot.faq.calibrate import fit

    collected = {}
    for i, shop in enumerate(shops, start=1):
        if progress:
            progress(shop.name, i, len(shops))
        collected[shop.name] = collect(shop, embedder)
    dev = [s for s in shops if not s.sealed]
    if len(dev) < 2:
        raise ShopError("leave-one-shop-out needs at least two non-sealed shops")
    everything = fit([item for s in dev for item in collected[s.name][1]], embedder.name)
    # The exemplars of the held-out shop itself are left out when it is scored (exclude=…),
    # and a sealed shop's questions are never among them.
    results = []
    for shop in shops:
        answerer, labelled = collected[shop.name]
        if shop.sealed:
            calibration, exemplars = everything
        else:
            train = [item for s in dev if s.name != shop.name for item in collected[s.name][1]]
            calibration, exemplars = fit(train, embedder.name)
        results.append(score_shop(shop, answerer, labelled, calibration, exemplars))
    return LosoReport(results, embedder.name), everything
