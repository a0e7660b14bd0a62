from pathlib import Path

import pytest

from bot.faq.answerer import FaqAnswerer
from bot.rules import load_faq_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def demo_rules():
    return load_faq_rules(RULES)


@pytest.fixture(scope="session")
def answerer(demo_rules) -> FaqAnswerer:
    products, faq, room = demo_rules
    return FaqAnswerer.build(products, faq, room)
