"""The FAQ answerer: finds the FAQ entry a viewer's question is about, or stays silent."""

from bot.faq.abstain import FaqDecision, about_own_order, decide, looks_like_question
from bot.faq.answerer import Answer, FaqAnswerer, render_answer
from bot.faq.index import FaqIndex, Match, Scored
from bot.faq.lexicon import BUILTIN_GROUPS, Lexicon

__all__ = [
    "BUILTIN_GROUPS",
    "Answer",
    "FaqAnswerer",
    "FaqDecision",
    "FaqIndex",
    "Lexicon",
    "Match",
    "Scored",
    "about_own_order",
    "decide",
    "looks_like_question",
    "render_answer",
]
