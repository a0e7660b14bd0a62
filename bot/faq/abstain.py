"""The answer/abstain/escalate decision: answer only when the index is sure; send
questions it cannot answer (and anything about one viewer's own order) to a human."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.faq.index import Match
from bot.faq.normalise import basic

# Calibrated on tests/data/faq_eval.tsv: between 0.33 and 0.50 accuracy trades against
# wrong answers; 0.38 keeps wrong answers under 1 % with accuracy above 92 %.
# room.yaml `bot.answer_threshold` overrides it.
DEFAULT_THRESHOLD = 0.38
# A line that does not read as a question ("love this stream", "东西破了") is answered
# only when the match is clearly better than the threshold.
STATEMENT_EXTRA = 0.1
# A question with a word the FAQ never uses must be matched this much more clearly.
UNKNOWN_EXTRA = 0.1
# Two different entries this close: the index cannot tell which one was meant.
MIN_MARGIN = 0.02
# Below the answer threshold by at most this much, a question is suggested: it waits for the
# team with the best entry as the bot's proposal. room.yaml `bot.suggest_threshold` overrides.
SUGGEST_BAND = 0.12

# answered: the bot replies; suggested: a human decides, with the bot's proposal (match.entry);
# escalated: a human decides, no proposal; abstained: silence.
Verdict = Literal["answered", "suggested", "abstained", "escalated"]

_QUESTION = re.compile(
    r"[?？]|吗|么|呢|嘛|吧$|怎|咋|啥|什么|多少|多久|多大|几|哪|谁|为何|为什么|是不是|能不能|可不可以|有没有|会不会|"
    r"要不要|行不行|[^\s]不[^\s]?$|"
    r"\b(?:how|what|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should|any)\b"
)
# A viewer's own order, payment or parcel: only the team can look it up.
_OWN_ORDER = re.compile(
    r"(?:我|俺|咱)(?:的|们的)?(?:[^，。,.!?？\s]{0,6})?(?:订单|快递|包裹|单号|退款|退货|优惠券|券|货|东西)|"
    r"我(?:昨天|前天|上周|上次|之前|刚才|刚刚|已经)?(?:买|拍|下单|付款|退)的|"
    r"订单号|单号是|还没(?:到|收到|发|发货|退|到账)|怎么还没|没到账|不回(?:我|消息)|催|投诉|"
    r"\bmy (?:order|package|parcel|refund|delivery|coupon)\b|\bhasn'?t (?:arrived|shipped)\b|\border (?:number|#)"
)


def looks_like_question(text: str) -> bool:
    """吗/呢/？/怎么/多少/how/when…: the viewer expects an answer from someone."""
    # basic() folds "?" away, so the question mark is looked for in the raw text first.
    if "?" in text or "？" in text:
        return True
    return bool(_QUESTION.search(basic(text) if text.isascii() else text.lower()))


def about_own_order(text: str) -> bool:
    return bool(_OWN_ORDER.search(text.lower()))


@dataclass(frozen=True)
class FaqDecision:
    verdict: Verdict
    match: Match
    reason: Literal["match", "own_order", "low_score", "ambiguous", "no_content"]

    @property
    def answered(self) -> bool:
        return self.verdict == "answered"

    @property
    def suggested(self) -> bool:
        return self.verdict == "suggested"


def decide(
    match: Match,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_margin: float = MIN_MARGIN,
    suggest_threshold: float | None = None,
) -> FaqDecision:
    """Answer, suggest (queue it for the team with the best entry as a proposal), escalate
    (queue it with no proposal) or abstain (stay silent)."""
    question = match.question
    if about_own_order(question):
        return FaqDecision("escalated", match, "own_order")
    asked = looks_like_question(question)
    needed = threshold if asked else threshold + STATEMENT_EXTRA
    if match.unknown:
        needed += UNKNOWN_EXTRA
    if match.entry is not None and match.score >= needed:
        if match.runner_up is None or match.margin >= min_margin:
            return FaqDecision("answered", match, "match")
        reason: Literal["low_score", "ambiguous", "no_content"] = "ambiguous"
    else:
        reason = "no_content" if match.empty else "low_score"
    if not asked:
        return FaqDecision("abstained", match, reason)
    floor = threshold - SUGGEST_BAND if suggest_threshold is None else suggest_threshold
    if match.entry is not None and match.score >= floor:
        return FaqDecision("suggested", match, reason)
    return FaqDecision("escalated", match, reason)
