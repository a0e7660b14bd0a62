"""The answer / suggest / escalate / abstain decision: answer only when the calibrated model
is sure; in the grey zone propose the best entry to the team; send other questions (and
anything about one viewer's own order) to a human with no proposal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.faq.index import Match
from bot.faq.normalise import basic

# The thresholds are probabilities from the calibrated model (bot/faq/calibrate.py,
# bot/faq/calibration.json): the chance that the best entry is the right answer.
# room.yaml `bot.answer_threshold` and `bot.suggest_threshold` override the fitted ones.

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


# A line not phrased as a question (包邮 / 尺码表 / warranty) that still matches an entry with
# at least this probability is proposed to the team rather than left unanswered: on the
# development shops (leave one shop out) that made the proposal right for 3.7 points more
# in-scope lines, for 21 more must-not-answer lines in the queue (of 730).
STATEMENT_SUGGEST = 0.3


def decide(match: Match, *, threshold: float, suggest_threshold: float) -> FaqDecision:
    """`match.score` is the calibrated probability that `match.entry` is right. Answer at
    `threshold`; suggest (queue it for the team with the entry as the bot's proposal) at
    `suggest_threshold`; escalate other questions with no proposal; a line that is not a
    question is suggested at STATEMENT_SUGGEST, else gets silence."""
    question = match.question
    if about_own_order(question):
        return FaqDecision("escalated", match, "own_order")
    if match.entry is not None and match.score >= threshold:
        return FaqDecision("answered", match, "match")
    reason: Literal["low_score", "no_content"] = "no_content" if match.empty else "low_score"
    if not looks_like_question(question):
        if (
            not match.empty
            and match.entry is not None
            and match.score >= max(suggest_threshold, STATEMENT_SUGGEST)
        ):
            return FaqDecision("suggested", match, reason)
        return FaqDecision("abstained", match, reason)
    if match.entry is not None and match.score >= suggest_threshold:
        return FaqDecision("suggested", match, reason)
    return FaqDecision("escalated", match, reason)
