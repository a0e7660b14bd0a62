"""The numbers issue 5 asks for, held on the committed evaluation sets."""

import pytest

from bot.faq.evaluate import EvalReport, Tally, read_queries

from .conftest import DATA


def run(answerer, name):
    rows = read_queries(DATA / name)

    # answered, and answered or proposed to the team (suggested), as eval-faq --shops counts them
    report = EvalReport()
    for row in rows:
        result = answerer.answer(row.query, row.product)
        report.overall.add(row.expected, result.faq_id, result.proposed_faq_id)
        report.kinds.setdefault(row.kind, Tally()).add(row.expected, result.faq_id, result.proposed_faq_id)
    return rows, report


def test_eval_set_is_big_enough():
    rows = read_queries(DATA / "faq_eval.tsv")
    assert sum(r.expected is not None for r in rows) >= 200
    assert sum(r.expected is None for r in rows) >= 60
    assert any(r.query.isascii() for r in rows)


def test_eval_set_numbers(answerer):
    """The set the old lexicon and threshold were tuned on (95.2 % / 0.3 % / 98.4 % then). Since
    issue 15 the decision is calibrated on the other shops of tests/data/shops, never on the
    demo shop, and it would rather propose than answer: 82.8 % answered right, 0 % wrong,
    100 % abstain recall, 97.6 % answered or proposed right when measured."""
    _, report = run(answerer, "faq_eval.tsv")
    overall = report.overall
    assert overall.accuracy >= 0.78
    assert overall.wrong_rate <= 0.01
    assert overall.abstain_recall >= 0.95
    assert overall.answer_or_proposal >= 0.95


@pytest.mark.parametrize("kind", ["traditional", "typo", "english", "context", "colloquial"])
def test_each_viewer_style_mostly_answered(answerer, kind):
    """Answered or proposed right (95–100 % per style when measured; answered alone 81–94 %)."""
    _, report = run(answerer, "faq_eval.tsv")
    assert report.kinds[kind].answer_or_proposal >= 0.9
    assert report.kinds[kind].accuracy >= 0.7


def test_eval_ids_exist(demo_rules):
    _, faq, _ = demo_rules
    ids = {e.id for e in faq}
    for name in ("faq_eval.tsv", "faq_heldout.tsv", "faq_heldout2.tsv"):
        for row in read_queries(DATA / name):
            assert row.expected is None or row.expected in ids, row


def test_heldout_set_floor(answerer):
    """Written after the first tuning and evaluated once (84.0 % / 4.3 % / 89.5 % at that time);
    97.3 % / 2.1 % / 94.7 % after the lexicon and abstain work; with the cross-shop decision of
    issue 15: 77.3 % / 0 % / 100 %, 100 % answered or proposed right. Guards against regressions."""
    _, report = run(answerer, "faq_heldout.tsv")
    assert report.overall.accuracy >= 0.72
    assert report.overall.wrong_rate <= 0.03
    assert report.overall.abstain_recall >= 0.90
    assert report.overall.answer_or_proposal >= 0.95


def test_heldout2_set_is_fresh_and_mixed():
    rows = read_queries(DATA / "faq_heldout2.tsv")
    seen = {r.query for name in ("faq_eval.tsv", "faq_heldout.tsv") for r in read_queries(DATA / name)}
    assert not seen & {r.query for r in rows}
    assert len(rows) >= 100
    assert sum(r.query.isascii() for r in rows) >= 25
    assert sum(r.expected is None for r in rows) >= 20


def test_heldout2_set_floor(answerer):
    """Written before the lexicon and abstain work and evaluated once: 74.5 % / 3.4 % / 91.7 %;
    95.7 % / 1.7 % / 91.7 % after it; with the cross-shop decision of issue 15: 79.8 % / 0.9 % /
    95.8 %, 96.8 % answered or proposed right."""
    _, report = run(answerer, "faq_heldout2.tsv")
    assert report.overall.accuracy >= 0.75
    assert report.overall.wrong_rate <= 0.03
    assert report.overall.abstain_recall >= 0.90
    assert report.overall.answer_or_proposal >= 0.93
