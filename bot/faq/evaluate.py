"""Evaluation of the FAQ answerer on a labelled TSV of viewer questions (`liveroom eval-faq`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

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

    def add(self, expected: str | None, got: str | None) -> None:
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
