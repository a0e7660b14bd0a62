"""Fusing the lexical and semantic channels, and the calibrated decision model.

For one question the answerer gathers `Evidence`: every candidate entry's lexical score
(bot/faq/index.py) and semantic cosine (bot/faq/semantic.py), and whether the question names
the candidate's product. The fused score ranks the candidates; a small logistic regression
over features of the best one (fused score, margin to the runner-up, agreement of the
channels, product consistency, question-ness, unknown words) gives the probability that the
best entry is the right answer. `calibration.json` holds the fitted numbers; it is refitted
from the corpus with `liveroom eval-faq --shops tests/data/shops --refit` (sealed shops are
never used)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

FEATURES = (
    "fused",
    "lexical",
    "semantic",
    "margin",
    "semantic_margin",
    "answer",
    "lexical_agrees",
    "semantic_agrees",
    "product_named",
    "product_missing",
    "question",
    "unknown",
    "short",
    "fused_squared",
    "lexical_x_semantic",
    "agree_both",
    "offtopic",
    "ontopic",
    "offtopic_gap",
    "choice",
    "choice_margin",
    "transfer",
    "transfer_margin",
    "choice_x_semantic",
    "choice_x_transfer",
    "choice_x_offtopic_gap",
    "choice_squared",
)
# What the re-ranker (a conditional logit over one question's candidates) sees of each
# candidate entry. Row-constant parts cancel in a softmax.
RANK_FEATURES = (
    "lexical",
    "semantic",
    "answer",
    "lexical_first",
    "semantic_first",
    "answer_first",
    "named",
    "product_missing",
    "shop_wide_product_asked",
    "semantic_squared",
    "lexical_x_semantic",
    "semantic_x_answer",
    "transfer",
    "transfer_first",
)
_TRANSFER_NEIGHBOURS = 5


def candidate_features(ev: Evidence) -> np.ndarray:
    """One row per candidate of `ev`, columns RANK_FEATURES."""
    lex, sem, ans = ev.lexical, ev.semantic, ev.answer
    if len(lex) == 0:
        return np.zeros((0, len(RANK_FEATURES)))
    product_asked = bool((ev.context > 0).any())
    tr = ev.transfer if len(ev.transfer) == len(lex) else np.zeros(len(lex))
    return np.column_stack(
        [
            lex,
            sem,
            ans,
            (lex >= lex.max()) & (lex > 0),
            sem >= sem.max(),
            ans >= ans.max(),
            ev.context > 0,
            ev.context < 0,
            (ev.context == 0) & product_asked,
            sem * sem,
            lex * sem,
            sem * ans,
            tr,
            (tr >= tr.max()) & (tr > 0),
        ]
    ).astype(np.float64)


EXEMPLARS_FILE = Path(__file__).with_name("exemplars.npz")
_NEIGHBOURS = 3


class Exemplars:
    """Other shops' viewer questions, embedded: those that had to go unanswered (chit-chat,
    orders, haggling, medical claims…) and those an entry answered. How close a new question
    is to each set says whether it is the kind of thing a FAQ answers — across shops."""

    def __init__(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        shops: Sequence[str],
        abstain: Sequence[bool],
        model: str,
        targets: np.ndarray | None = None,
        target_texts: Sequence[str] = (),
    ) -> None:
        self.texts = list(texts)
        # the right entry's embedding for an answered question (zeros: none), and that
        # entry's example questions (one per line), to embed them again in another model's space
        self.targets = (
            np.asarray(targets, dtype=np.float32)
            if targets is not None and len(targets) == len(self.texts)
            else np.zeros(
                (len(self.texts), np.asarray(vectors).shape[1] if len(self.texts) else 0), np.float32
            )
        )
        self.target_texts = list(target_texts) or [""] * len(self.texts)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.shops = np.asarray(list(shops))
        self.abstain = np.asarray(list(abstain), dtype=bool)
        self.model = model

    def scores(self, vector: np.ndarray | None, exclude: str | None = None) -> tuple[float, float]:
        """Mean cosine of the nearest abstain and the nearest in-scope exemplars (leaving
        `exclude`'s own questions out)."""
        if vector is None or len(self.texts) == 0:
            return 0.0, 0.0
        sims = self.vectors @ vector
        keep = self.shops != exclude if exclude is not None else np.ones(len(sims), dtype=bool)
        out = []
        for group in (self.abstain, ~self.abstain):
            chosen = sims[keep & group]
            if len(chosen) == 0:
                out.append(0.0)
                continue
            k = min(_NEIGHBOURS, len(chosen))
            out.append(float(np.partition(chosen, len(chosen) - k)[-k:].mean()))
        return out[0], out[1]

    def transfer(self, ev: Evidence, exclude: str | None = None) -> np.ndarray:
        """Per candidate: the similarity-weighted mean cosine of its embedding to the right
        entries of the other shops' answered questions nearest this one."""
        n = len(ev.candidates)
        if ev.vector is None or ev.entry_vectors is None or n == 0 or len(self.texts) == 0:
            return np.zeros(n)
        usable = self.has_target if exclude is None else self.has_target & (self.shops != exclude)
        if not usable.any():
            return np.zeros(n)
        sims = np.where(usable, self.vectors @ ev.vector, -np.inf)
        k = min(_TRANSFER_NEIGHBOURS, int(usable.sum()))
        near = np.argpartition(-sims, k - 1)[:k]
        weights = np.clip(sims[near], 1e-3, None)
        return np.asarray(
            (ev.entry_vectors @ self.targets[near].T) @ weights / weights.sum(), dtype=np.float64
        )

    @property
    def has_target(self) -> np.ndarray:
        return np.asarray(np.abs(self.targets).sum(axis=1) > 0) if len(self.targets) else np.zeros(0, bool)

    @classmethod
    def from_rows(cls, rows: Sequence[Labelled], model: str = "") -> Exemplars:
        rows = [r for r in rows if r.evidence.vector is not None]
        found = [r.evidence.vector for r in rows if r.evidence.vector is not None]
        vectors = np.stack(found) if found else np.zeros((0, 512), dtype=np.float32)
        targets = np.zeros_like(vectors)
        for i, r in enumerate(rows):
            ev = r.evidence
            if r.expected is not None and ev.entry_vectors is not None:
                hit = np.flatnonzero(ev.candidates == r.expected)
                if len(hit):
                    targets[i] = ev.entry_vectors[hit[0]]
        return cls(
            [r.evidence.question for r in rows],
            vectors,
            [r.shop for r in rows],
            [r.expected is None for r in rows],
            model,
            targets,
            [r.target for r in rows],
        )

    def save(self, path: str | Path = EXEMPLARS_FILE) -> None:
        np.savez_compressed(
            path,
            texts=np.array(self.texts),
            vectors=self.vectors.astype(np.float16),
            shops=self.shops,
            abstain=self.abstain,
            model=np.array(self.model),
            targets=self.targets.astype(np.float16),
            target_texts=np.array(self.target_texts),
        )

    @classmethod
    def load(cls, path: str | Path = EXEMPLARS_FILE) -> Exemplars:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                [str(t) for t in data["texts"]],
                data["vectors"].astype(np.float32),
                [str(s) for s in data["shops"]],
                [bool(b) for b in data["abstain"]],
                str(data["model"]),
                data["targets"].astype(np.float32) if "targets" in data else None,
                [str(t) for t in data["target_texts"]] if "target_texts" in data else (),
            )

    def embedded_with(self, embedder: Any) -> Exemplars:
        """The same exemplars in `embedder`'s space (a remote model has its own)."""
        if embedder.name == self.model or not self.texts:
            return self
        vectors = embedder.encode(self.texts)
        targets = np.zeros_like(vectors)
        for i, text in enumerate(self.target_texts):
            lines = [t for t in text.split("\n") if t]
            if lines and self.has_target[i]:
                mean = embedder.encode(lines).mean(axis=0)
                targets[i] = mean / max(float(np.linalg.norm(mean)), 1e-9)
        return Exemplars(
            self.texts,
            vectors,
            list(self.shops),
            list(self.abstain),
            embedder.name,
            targets,
            self.target_texts,
        )


@dataclass(frozen=True)
class Evidence:
    """What the channels say about one question: candidate entries (index positions) and
    their scores."""

    question: str
    candidates: np.ndarray  # int: positions of candidate entries in the index
    lexical: np.ndarray  # float: lexical score in [0, 1]
    semantic: np.ndarray  # float: best cosine of the entry's example questions
    context: np.ndarray  # int: 1 its product is named/pinned, 0 shop-wide, -1 product entry, no product named
    asked: bool
    unknown: int
    words: int
    own_order: bool = False
    sku: str | None = None  # the one product the question is about, if one
    products_named: frozenset[str] = frozenset()
    empty: bool = False
    vector: np.ndarray | None = None  # the question's embedding
    answer: np.ndarray = field(default_factory=lambda: np.zeros(0))  # cosine of the entry's answer
    # each candidate entry's embedding (the mean of its example questions', normalised)
    entry_vectors: np.ndarray | None = None
    # each candidate's transfer score: how like it are the entries that answered other shops'
    # questions most like this one (Exemplars.transfer; filled by Calibration.rank)
    transfer: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Ranked:
    """The fused ranking's best entry and the decision model's probability that it is right."""

    best: int | None  # index position
    runner_up: int | None
    fused: float
    runner_fused: float
    probability: float
    features: tuple[float, ...] = ()


@dataclass(frozen=True)
class Calibration:
    semantic_weight: float = 1.0
    semantic_floor: float = 0.3
    no_context: float = 0.05
    answer_weight: float = 0.0
    named_bonus: float = 0.0
    # the re-ranker's weights over RANK_FEATURES; empty: the grid-searched fusion above
    rank_coef: tuple[float, ...] = ()
    mean: tuple[float, ...] = (0.0,) * len(FEATURES)
    scale: tuple[float, ...] = (1.0,) * len(FEATURES)
    coef: tuple[float, ...] = (0.0,) * len(FEATURES)
    intercept: float = 0.0
    answer_threshold: float = 0.8
    suggest_threshold: float = 0.3
    model: str = ""
    fitted_on: tuple[str, ...] = ()
    notes: dict[str, float] = field(default_factory=dict)

    # -- fusion ---------------------------------------------------------------

    def fused(self, ev: Evidence) -> np.ndarray:
        if self.rank_coef:
            return np.asarray(candidate_features(ev) @ np.asarray(self.rank_coef), dtype=np.float64)
        semantic = np.clip(ev.semantic - self.semantic_floor, 0.0, None) / (1.0 - self.semantic_floor)
        answer = np.clip(ev.answer - self.semantic_floor, 0.0, None) / (1.0 - self.semantic_floor)
        return np.asarray(
            ev.lexical
            + self.semantic_weight * semantic
            + self.answer_weight * answer
            - self.no_context * (ev.context < 0)
            + self.named_bonus * (ev.context > 0),
            dtype=np.float64,
        )

    def rank(self, ev: Evidence, exemplars: Exemplars | None = None, exclude: str | None = None) -> Ranked:
        """`exemplars`: other shops' questions (`exclude`: a shop whose own are left out)."""
        near = exemplars.scores(ev.vector, exclude) if exemplars is not None else (0.0, 0.0)
        if exemplars is not None and len(ev.transfer) != len(ev.candidates):
            ev = replace(ev, transfer=exemplars.transfer(ev, exclude))
        if len(ev.candidates) == 0:
            x = self._features(ev, None, None, 0.0, 0.0, near)
            return Ranked(None, None, 0.0, 0.0, self.probability(x), tuple(x))
        fused = self.fused(ev)
        order = np.argsort(-fused, kind="stable")
        top = int(order[0])
        runner = int(order[1]) if len(order) > 1 else None
        runner_fused = float(fused[runner]) if runner is not None else 0.0
        x = self._features(ev, top, runner, float(fused[top]), runner_fused, near, fused)
        return Ranked(
            int(ev.candidates[top]),
            int(ev.candidates[runner]) if runner is not None else None,
            float(fused[top]),
            runner_fused,
            self.probability(x),
            tuple(x),
        )

    def _features(
        self,
        ev: Evidence,
        top: int | None,
        runner: int | None,
        fused: float,
        runner_fused: float,
        near: tuple[float, float],
        scores: np.ndarray | None = None,
    ) -> list[float]:
        if top is None:
            lexical = semantic = sem_margin = answer = 0.0
            lex_agrees = sem_agrees = named = missing = 0.0
        else:
            lexical, semantic = float(ev.lexical[top]), float(ev.semantic[top])
            answer = float(ev.answer[top])
            others = np.delete(ev.semantic, top)
            sem_margin = semantic - float(others.max()) if len(others) else semantic
            lex_agrees = float(ev.lexical[top] >= ev.lexical.max() and ev.lexical[top] > 0)
            sem_agrees = float(ev.semantic[top] >= ev.semantic.max())
            named = float(ev.context[top] == 1)
            missing = float(ev.context[top] == -1)
        choice, transfer = _choice(scores), _transfer(ev, top)
        return [
            fused,
            lexical,
            semantic,
            fused - runner_fused,
            sem_margin,
            answer,
            lex_agrees,
            sem_agrees,
            named,
            missing,
            float(ev.asked),
            float(min(ev.unknown, 3)),
            float(ev.words <= 1),
            fused * fused,
            lexical * semantic,
            lex_agrees * sem_agrees,
            near[0],
            near[1],
            near[0] - near[1],
            *choice,
            *transfer,
            choice[0] * semantic,
            choice[0] * transfer[0],
            choice[0] * (near[0] - near[1]),
            choice[0] * choice[0],
        ]

    def probability(self, x: Sequence[float]) -> float:
        z = self.intercept + sum(
            c * (v - m) / s for c, v, m, s in zip(self.coef, x, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    # -- persistence ------------------------------------------------------------

    def save(self, path: str | Path = CALIBRATION_FILE) -> None:
        data = asdict(self)
        data["features"] = list(FEATURES)
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data.pop("features", FEATURES)) != FEATURES:
            raise ValueError(f"{path}: fitted for other features; refit with eval-faq --refit")
        for key in ("mean", "scale", "coef", "fitted_on", "rank_coef"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)


def _transfer(ev: Evidence, top: int | None) -> tuple[float, float]:
    if top is None or len(ev.transfer) != len(ev.candidates):
        return 0.0, 0.0
    others = np.delete(ev.transfer, top)
    value = float(ev.transfer[top])
    return value, value - (float(others.max()) if len(others) else 0.0)


def _choice(scores: np.ndarray | None) -> tuple[float, float]:
    """The re-ranker's softmax probability of its best candidate, and the margin to the
    runner-up's."""
    if scores is None or len(scores) == 0:
        return 0.0, 0.0
    z = np.exp(scores - scores.max())
    p = np.sort(z / z.sum())[::-1]
    return float(p[0]), float(p[0] - (p[1] if len(p) > 1 else 0.0))


@cache
def shipped() -> Calibration:
    """The coefficients fitted on the corpus (bot/faq/calibration.json)."""
    return Calibration.load()


@cache
def shipped_exemplars() -> Exemplars:
    """The corpus' non-sealed questions the coefficients were fitted with (bot/faq/exemplars.npz)."""
    return Exemplars.load() if EXEMPLARS_FILE.exists() else Exemplars([], np.zeros((0, 512)), [], [], "")


# -- fitting ------------------------------------------------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Newton's method for an L2-regularised logistic regression; column 0 of `x` is the
    intercept (not regularised). Returns the weights."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[0] = 1e-6
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return np.asarray(w)


@dataclass(frozen=True)
class Labelled:
    evidence: Evidence
    expected: int | None  # index position of the right entry, None: must not be answered
    shop: str
    target: str = ""  # the right entry's example questions, one per line


# Fitting targets (a policy, not a fit): the answer threshold is the lowest probability at
# which the training shops see at most this many wrong answers per row; a suggestion needs
# at least this probability of being right.
TARGET_WRONG_RATE = 0.0165
SUGGEST_PROBABILITY = 0.1
# The decision model's L2 penalty (on standardised features): chosen leave-one-shop-out on the
# development shops (1, 10, 30 tried; 30 kept the most right answers at the same wrong rate).
DECISION_L2 = 30.0
_GRID_WEIGHTS = (0.25, 0.5, 0.75, 1.0)
_GRID_FLOORS = (0.0, 0.1, 0.2)
_GRID_NO_CONTEXT = (0.0, 0.1)
_GRID_ANSWER = (0.5, 0.75, 1.0, 1.5)
_GRID_NAMED = (0.1, 0.2, 0.3, 0.4)


class _Flat:
    """Every row's candidates in flat arrays, so a fusion setting is scored on all rows at once."""

    def __init__(self, rows: Sequence[Labelled]) -> None:
        kept = [r for r in rows if r.expected is not None and len(r.evidence.candidates)]
        self.rows = sum(r.expected is not None for r in rows)
        self.lexical = np.concatenate([r.evidence.lexical for r in kept]) if kept else np.zeros(0)
        self.semantic = np.concatenate([r.evidence.semantic for r in kept]) if kept else np.zeros(0)
        self.answer = np.concatenate([r.evidence.answer for r in kept]) if kept else np.zeros(0)
        self.context = np.concatenate([r.evidence.context for r in kept]) if kept else np.zeros(0)
        self.right = (
            np.concatenate([r.evidence.candidates == r.expected for r in kept]) if kept else np.zeros(0, bool)
        )
        lengths = [len(r.evidence.candidates) for r in kept]
        self.starts = (
            np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if kept else np.zeros(0, np.int64)
        )
        self.segment = np.repeat(np.arange(len(kept)), lengths) if kept else np.zeros(0, np.int64)
        # the re-ranker's features, row by row (they compare a candidate with its row's others)
        self.features = (
            np.vstack([candidate_features(r.evidence) for r in kept])
            if kept
            else np.zeros((0, len(RANK_FEATURES)))
        )

    def top1(self, cal: Calibration) -> float:
        if not self.rows or not len(self.segment):
            return 0.0
        if cal.rank_coef:
            fused = self.features @ np.asarray(cal.rank_coef)
        else:
            ev = Evidence(
                "", self.segment, self.lexical, self.semantic, self.context, False, 0, 0, answer=self.answer
            )
            fused = cal.fused(ev)
        best = np.maximum.reduceat(fused, self.starts)
        is_best = fused >= best[self.segment] - 1e-12
        # the first best candidate of each row, as argmax would pick it
        first = np.full(len(self.starts), -1, dtype=np.int64)
        positions = np.flatnonzero(is_best)
        segs = self.segment[positions]
        first_mask = np.ones(len(positions), dtype=bool)
        first_mask[1:] = segs[1:] != segs[:-1]
        first[segs[first_mask]] = positions[first_mask]
        return float(self.right[first].sum()) / self.rows


def fit_ranker(rows: Sequence[Labelled], l2: float = 1.0, iterations: int = 30) -> np.ndarray:
    """A conditional logit over each question's candidates (RANK_FEATURES): the weights that
    make the right entry's softmax probability highest (Newton's method, L2), fitted on the
    rows whose right entry is among the candidates."""
    kept = [r for r in rows if r.expected is not None and r.expected in r.evidence.candidates]
    if not kept:
        return np.zeros(len(RANK_FEATURES))
    feats = [candidate_features(r.evidence) for r in kept]
    f = np.vstack(feats)
    seg = np.repeat(np.arange(len(kept)), [len(x) for x in feats])
    right = np.concatenate([r.evidence.candidates == r.expected for r in kept]).astype(np.float64)
    n, d = len(kept), f.shape[1]
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])

    def loss_and_p(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = f @ w
        z = z - np.maximum.reduceat(z, starts)[seg]
        e = np.exp(z)
        total = np.bincount(seg, e, n)
        return float(-(z * right).sum() + np.log(total).sum() + 0.5 * l2 * w @ w), e / total[seg]

    w = np.zeros(d)
    loss, p = loss_and_p(w)
    for _ in range(iterations):
        mean = np.zeros((n, d))
        np.add.at(mean, seg, f * p[:, None])
        grad = (f * (p - right)[:, None]).sum(axis=0) + l2 * w
        centred = f - mean[seg]
        hess = (centred * p[:, None]).T @ centred + l2 * np.eye(d)
        step = np.linalg.solve(hess, grad)
        size = 1.0
        while size > 1e-4:
            trial, trial_p = loss_and_p(w - size * step)
            if trial <= loss:
                break
            size /= 2
        w, loss, p = w - size * step, trial, trial_p
        if np.max(np.abs(size * step)) < 1e-7:
            break
    return np.asarray(w)


def fit(rows: Sequence[Labelled], model: str = "") -> tuple[Calibration, Exemplars]:
    """Fusion weights by grid search on top-1 accuracy, then the logistic regression and the
    thresholds — all on `rows` (the caller leaves the held-out shop and the sealed ones out)."""
    best_cal, best_acc = Calibration(), -1.0
    exemplars = Exemplars.from_rows(rows, model)
    # every row's transfer scores, from the other shops' questions only
    rows = [
        Labelled(
            replace(r.evidence, transfer=exemplars.transfer(r.evidence, r.shop)), r.expected, r.shop, r.target
        )
        for r in rows
    ]
    flat = _Flat(rows)
    for weight in _GRID_WEIGHTS:
        for floor in _GRID_FLOORS:
            for no_context in _GRID_NO_CONTEXT:
                for answer in _GRID_ANSWER:
                    for named in _GRID_NAMED:
                        cal = Calibration(
                            semantic_weight=weight,
                            semantic_floor=floor,
                            no_context=no_context,
                            answer_weight=answer,
                            named_bonus=named,
                        )
                        acc = flat.top1(cal)
                        if acc > best_acc + 1e-9:
                            best_cal, best_acc = cal, acc
    reranker = Calibration(rank_coef=tuple(float(v) for v in fit_ranker(rows)))
    reranked = flat.top1(reranker)
    if reranked > best_acc:
        best_cal, best_acc = reranker, reranked
    ranked = [best_cal.rank(r.evidence, exemplars, exclude=r.shop) for r in rows]
    x = np.array([r.features for r in ranked], dtype=np.float64)
    y = np.array(
        [float(rk.best is not None and rk.best == r.expected) for rk, r in zip(ranked, rows, strict=True)]
    )
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = fit_logistic(design, y, l2=DECISION_L2)
    cal = Calibration(
        semantic_weight=best_cal.semantic_weight,
        semantic_floor=best_cal.semantic_floor,
        no_context=best_cal.no_context,
        answer_weight=best_cal.answer_weight,
        named_bonus=best_cal.named_bonus,
        rank_coef=best_cal.rank_coef,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in w[1:]),
        intercept=float(w[0]),
        model=model,
        fitted_on=tuple(sorted({r.shop for r in rows})),
    )
    probs = np.array([cal.probability(f) for f in x])
    answer_threshold = _answer_threshold(probs, y, rows, ranked)
    fitted = Calibration(
        **{
            **asdict(cal),
            "answer_threshold": answer_threshold,
            "suggest_threshold": SUGGEST_PROBABILITY,
            "notes": {"train_top1": round(best_acc, 4)},
        }
    )
    return fitted, exemplars


def _answer_threshold(
    probs: np.ndarray, right: np.ndarray, rows: Sequence[Labelled], ranked: Sequence[Ranked]
) -> float:
    """The lowest threshold keeping the training rows' wrong answers under TARGET_WRONG_RATE."""
    answerable = np.array(
        [rk.best is not None and not r.evidence.own_order for rk, r in zip(ranked, rows, strict=True)]
    )
    n = len(rows)
    for t in np.arange(0.30, 0.99, 0.01):
        answered = answerable & (probs >= t)
        wrong = int(np.sum(answered & (right == 0)))
        if wrong <= TARGET_WRONG_RATE * n:
            return round(float(t), 2)
    return 0.99
