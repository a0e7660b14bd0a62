"""What the FAQ did not cover in one show, for the review meeting: the questions the bot handed to
the team (or proposed an answer the team would not send as it was), grouped by meaning, with a
proposed FAQ entry for each group — the most central wording as its example question, the team's
answer (if one was given) as its answer.

The grouping is one small function, `group_by_meaning`, over texts: character unigram + bigram
cosine after folding width, case, Traditional forms and question particles. A sentence-embedding
model can replace it without touching the rest.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from opencc import OpenCC

from bot.review.results import QueuedQuestion
from media.i18n import CATALOGUE

CATALOGUE.add(
    "review.gaps",
    {
        "review.gaps.title": {
            "zh-CN": "FAQ 缺口：转给人工的问题",
            "en": "FAQ gaps: questions handed to the team",
        },
        "review.gaps.none": {
            "zh-CN": "这场没有转给人工的问题",
            "en": "No question was handed to the team in this show",
        },
        "review.gaps.col.count": {"zh-CN": "次数", "en": "Times"},
        "review.gaps.col.example": {"zh-CN": "建议的问法", "en": "Proposed question"},
        "review.gaps.col.also": {"zh-CN": "其他问法", "en": "Also asked as"},
        "review.gaps.col.answer": {"zh-CN": "建议的回答", "en": "Proposed answer"},
        "review.gaps.col.outcome": {"zh-CN": "当时的处理", "en": "What happened"},
        "review.gaps.no_answer": {"zh-CN": "（团队没有回答，请补上）", "en": "(no team answer; write one)"},
        "review.gaps.from_entry": {"zh-CN": "加到条目 {faq_id}", "en": "add to entry {faq_id}"},
        "review.gaps.new_entry": {"zh-CN": "新条目", "en": "new entry"},
        "review.gaps.outcome.waiting": {"zh-CN": "没人回答", "en": "never answered"},
        "review.gaps.outcome.answered": {"zh-CN": "人工回答", "en": "answered by the team"},
        "review.gaps.outcome.edited": {"zh-CN": "改写了机器人的建议", "en": "the bot's proposal edited"},
        "review.gaps.outcome.dismissed": {"zh-CN": "被忽略", "en": "dismissed"},
        "review.gaps.outcome.sent": {"zh-CN": "直接发送了建议", "en": "proposal sent"},
        "review.gaps.summary": {
            "zh-CN": "{questions} 个问题，{groups} 组意思相近的问法",
            "en": "{questions} questions in {groups} groups of the same meaning",
        },
    },
)

# Two wordings this similar (cosine of their character features) ask the same thing.
SAME_MEANING = 0.45
# Characters that make a sentence a question or polite, not what it is about.
_FILLER = set("吗呢吧啊呀哦嘛哈的了是么怎什啥可以能不有没会要请问亲宝这个那你我们下呗哇噢喔～~")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)

Similarity = Callable[[str, str], float]


@lru_cache(maxsize=4096)
def _features(text: str) -> Counter[str]:
    # Traditional and Taiwan wording ask the same as Simplified.
    folded = str(_t2s().convert(unicodedata.normalize("NFKC", text).casefold()))
    core = "".join(ch for ch in _PUNCT.sub(" ", folded) if ch not in _FILLER)
    words = core.split()
    out: Counter[str] = Counter()
    for word in words:
        if word.isascii():
            out[word] += 2  # an English word or a number counts like a bigram
            continue
        out.update(word)
        out.update(word[i : i + 2] for i in range(len(word) - 1))
    return out


@lru_cache(maxsize=1)
def _t2s() -> Any:
    return OpenCC("t2s")


def similarity(a: str, b: str) -> float:
    """Cosine of two wordings' character features, in [0, 1]."""
    fa, fb = _features(a), _features(b)
    if not fa or not fb:
        return 1.0 if a.strip() == b.strip() else 0.0
    dot = sum(v * fb[k] for k, v in fa.items() if k in fb)
    return dot / math.sqrt(sum(v * v for v in fa.values()) * sum(v * v for v in fb.values()))


def _similarities(distinct: Sequence[str], similar: Similarity | None) -> list[dict[int, float]]:
    """For each wording, the wordings at least a little like it (index → similarity). The built-in
    measure goes through an inverted index of features, so it costs what the shared features cost,
    not n²; another `similar` (an embedding model's) is asked for every pair."""
    if similar is not None:
        return [{j: similar(a, b) for j, b in enumerate(distinct) if j != i} for i, a in enumerate(distinct)]
    vectors = []
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, text in enumerate(distinct):
        features = _features(text)
        norm = math.sqrt(sum(v * v for v in features.values())) or 1.0
        vectors.append({k: v / norm for k, v in features.items()})
        for k, v in vectors[-1].items():
            postings.setdefault(k, []).append((i, v))
    out: list[dict[int, float]] = []
    for i, vector in enumerate(vectors):
        dots: dict[int, float] = {}
        for k, v in vector.items():
            for j, w in postings[k]:
                if j != i:
                    dots[j] = dots.get(j, 0.0) + v * w
        out.append(dots)
    return out


def group_by_meaning(
    texts: Sequence[str], *, same: float = SAME_MEANING, similar: Similarity | None = None
) -> list[list[int]]:
    """Indices of `texts` in groups of the same meaning, each led by its most central text (the one
    most like all the others, counting how often each was asked), biggest groups first. Leader
    clustering over the distinct wordings: deterministic; `similar` replaces the built-in measure."""
    distinct = list(dict.fromkeys(texts))
    times = Counter(texts)
    sims = _similarities(distinct, similar)
    centrality = [
        times[distinct[i]] + sum(s * times[distinct[j]] for j, s in row.items()) for i, row in enumerate(sims)
    ]
    order = sorted(range(len(distinct)), key=lambda i: (-centrality[i], distinct[i]))
    leader_of: dict[int, int] = {}
    for i in order:
        if i in leader_of:
            continue
        leader_of[i] = i
        for j, s in sims[i].items():
            if j not in leader_of and s >= same:
                leader_of[j] = i
    index_of = {text: k for k, text in enumerate(distinct)}
    groups: dict[int, list[int]] = {}
    for n, text in enumerate(texts):
        groups.setdefault(leader_of[index_of[text]], []).append(n)
    # Within a group the leader's occurrences come first.
    ordered = [
        sorted(members, key=lambda n: (texts[n] != distinct[leader], n)) for leader, members in groups.items()
    ]
    return sorted(ordered, key=lambda members: (-len(members), members[0]))


@dataclass(frozen=True)
class GapGroup:
    """Questions of one meaning the FAQ did not cover, and the entry that would cover them."""

    example: str  # the most central wording: the proposed example question
    count: int  # how many times it was asked
    wordings: tuple[tuple[str, int], ...]  # every wording and how often, most asked first
    answer: str | None  # the team's answer (the one given most often), as the proposed answer
    faq_id: str | None  # the entry the team's answer or the bot's proposal belongs to, if any
    outcomes: tuple[tuple[str, int], ...]  # what happened to these questions (waiting, dismissed…)
    message_ids: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "example": self.example,
            "count": self.count,
            "wordings": [{"text": text, "count": n} for text, n in self.wordings],
            "proposed_entry": {"faq_id": self.faq_id, "q": [self.example], "a": self.answer},
            "outcomes": dict(self.outcomes),
            "message_ids": list(self.message_ids),
        }


def _example(texts: list[str], times: Counter[str]) -> str:
    """The wording to write into faq.yaml: the most asked, in Simplified Chinese when there is one,
    the most like the group's other wordings."""

    def rank(text: str) -> tuple[int, bool, float]:
        central = sum(similarity(text, other) * times[other] for other in texts)
        return times[text], _t2s().convert(text) == text, central

    return max(texts, key=rank)


def faq_gaps(queued: Sequence[QueuedQuestion]) -> tuple[GapGroup, ...]:
    """The show's gaps: every queued question except proposals sent as they were, grouped."""
    gaps = [q for q in queued if q.is_gap]
    groups = []
    for members in group_by_meaning([q.text for q in gaps]):
        items = [gaps[n] for n in members]
        wordings = Counter(q.text for q in items)
        answers = Counter(q.answer for q in items if q.answer)
        entries = Counter(q.answer_faq_id or q.proposed for q in items if q.answer_faq_id or q.proposed)
        groups.append(
            GapGroup(
                example=_example(list(wordings), wordings),
                count=len(items),
                wordings=tuple(sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))),
                answer=answers.most_common(1)[0][0] if answers else None,
                faq_id=entries.most_common(1)[0][0] if entries else None,
                outcomes=tuple(sorted(Counter(q.outcome for q in items).items())),
                message_ids=tuple(q.message_id for q in items),
            )
        )
    return tuple(groups)


def gap_rows(groups: Sequence[GapGroup], lang: str) -> list[tuple[str, str, str, str, str]]:
    """(count, proposed question, other wordings, proposed answer, what happened) per group, as text."""
    from media.i18n import t

    rows = []
    for g in groups:
        also = "、".join(f"{text}（{n}）" if n > 1 else text for text, n in g.wordings if text != g.example)
        answer = g.answer or t(lang, "review.gaps.no_answer")
        target = (
            t(lang, "review.gaps.from_entry", faq_id=g.faq_id)
            if g.faq_id
            else t(lang, "review.gaps.new_entry")
        )
        outcome = "、".join(f"{t(lang, f'review.gaps.outcome.{o}')} {n}" for o, n in g.outcomes)
        rows.append((str(g.count), g.example, also, f"{answer}（{target}）", outcome))
    return rows
