"""The repository's own rule files, for the alert tests that run a whole room."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.rules import load_rulebook
from bot.rules.models import Rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"


def rules_without_quiet_hours() -> Rulebook:
    """`rules/` as shipped, minus its quiet hours (01:00–09:00), which would otherwise hold back every
    non-critical alert when the suite happens to run at night."""
    book = load_rulebook(RULES)
    return dataclasses.replace(book, alerts=book.alerts.model_copy(update={"quiet_hours": None}))
