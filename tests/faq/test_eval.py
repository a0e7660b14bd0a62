"""The numbers issue 5 asks for, held on the committed evaluation sets."""

import pytest

from bot.faq.evaluate import evaluate, read_queries

from .conftest import DATA


def run(answerer, name):
    rows = read_queries(DATA / name)

    def answer(query, product):
        result = answerer.answer(query, product)
        return result.faq_id, result.score

    return rows, evaluate(rows, answer)


def test_eval_set_is_big_enough():
    rows = read_queries(DATA / "faq_eval.tsv")
    assert sum(r.expected is not None for r in rows) >= 200
    assert sum(r.expected is None for r in rows) >= 60
    assert any(r.query.isascii() for r in rows)


def test_eval_set_numbers(answerer):
    _, report = run(answerer, "faq_eval.tsv")
    overall = report.overall
    assert overall.accuracy >= 0.90
    assert overall.wrong_rate <= 0.03
    assert overall.abstain_recall >= 0.90


@pytest.mark.parametrize("kind", ["traditional", "typo", "english", "context", "colloquial"])
def test_each_viewer_style_mostly_answered(answerer, kind):
    _, report = run(answerer, "faq_eval.tsv")
    assert report.kinds[kind].accuracy >= 0.85


def test_eval_ids_exist(demo_rules):
    _, faq, _ = demo_rules
    ids = {e.id for e in faq}
    for name in ("faq_eval.tsv", "faq_heldout.tsv"):
        for row in read_queries(DATA / name):
            assert row.expected is None or row.expected in ids, row


def test_heldout_set_floor(answerer):
    """Written after tuning and evaluated once (84.0 % / 4.3 % / 89.5 % at that time); this
    only guards against regressions on questions the matcher was not tuned on."""
    _, report = run(answerer, "faq_heldout.tsv")
    assert report.overall.accuracy >= 0.80
    assert report.overall.wrong_rate <= 0.06
