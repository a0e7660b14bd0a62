"""The rulebook: the operators' YAML rule files, parsed, validated and cross-checked."""

from bot.rules.errors import RuleError, RuleErrors
from bot.rules.load import default_rules_dir, load_faq_rules, load_rulebook
from bot.rules.models import (
    AlertsFile,
    Coupon,
    Cue,
    FaqEntry,
    Product,
    RoomFile,
    Rulebook,
    Segment,
    ShowScript,
)

__all__ = [
    "AlertsFile",
    "Coupon",
    "Cue",
    "FaqEntry",
    "Product",
    "RoomFile",
    "RuleError",
    "RuleErrors",
    "Rulebook",
    "Segment",
    "ShowScript",
    "default_rules_dir",
    "load_faq_rules",
    "load_rulebook",
]
