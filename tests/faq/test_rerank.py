"""The re-ranker, the transfer score, product name heads and proposals for statements."""

import numpy as np

from bot.faq.abstain import STATEMENT_SUGGEST, decide
from bot.faq.calibrate import Calibration, Evidence, Exemplars, Labelled, _Flat, fit_ranker
from bot.faq.features import head_names
from bot.faq.index import Match
from bot.rules.models import FaqEntry


def _evidence(lexical, semantic, answer=None, context=None, **kw):
    n = len(lexical)
    return Evidence(
        "q",
        np.arange(n),
        np.array(lexical, float),
        np.array(semantic, float),
        np.array(context if context is not None else [0] * n),
        True,
        0,
        2,
        answer=np.array(answer if answer is not None else [0.0] * n),
        **kw,
    )


def test_head_names_take_the_head_noun_not_a_pack_word():
    assert head_names("软糯羊毛混纺针织开衫")[0] == "开衫"
    assert head_names("Basecamp Rechargeable Lantern")[0] == "Lantern"
    assert head_names("Stonewashed Linen Duvet Cover") == ["Duvet Cover"]
    assert head_names("CloudGrip Yoga Mat 6mm")[0] == "Mat"
    assert "礼盒" not in head_names("即食冰糖燕窝 70g×6瓶 礼盒")


def test_reranker_learns_which_channel_to_trust():
    rng = np.random.default_rng(1)
    rows = []
    for i in range(200):
        right = int(rng.integers(0, 4))
        semantic = rng.uniform(0.2, 0.6, 4)
        semantic[right] += 0.45  # the semantic channel knows; the lexical one is noise
        rows.append(Labelled(_evidence(rng.uniform(0, 1, 4), semantic), right, f"s{i % 3}"))
    w = fit_ranker(rows)
    flat = _Flat(rows)
    assert flat.top1(Calibration(rank_coef=tuple(w))) > 0.95
    lexical_only = np.zeros_like(w)
    lexical_only[0] = 1.0
    assert flat.top1(Calibration(rank_coef=tuple(lexical_only))) < 0.5


def test_transfer_scores_the_entry_like_the_neighbours_answers():
    a, b = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    ex = Exemplars(["x", "y"], np.stack([a, b]), ["other", "other"], [False, False], "m", np.stack([b, a]))
    ev = _evidence([0.0, 0.0], [0.5, 0.5], vector=a, entry_vectors=np.stack([a, b]))
    t = ex.transfer(ev)
    # the question is like exemplar "x", whose right entry was like candidate 1
    assert t[1] > t[0]
    assert np.all(ex.transfer(ev, exclude="other") == 0)


def _match(text, score, empty=False):
    entry = FaqEntry(id="ship", q=["几点发货"], a="48小时内发货")
    return Match(text, entry, score, empty=empty)


def test_a_statement_that_matches_is_proposed_not_silenced():
    assert (
        decide(_match("包邮", STATEMENT_SUGGEST), threshold=0.9, suggest_threshold=0.1).verdict == "suggested"
    )
    assert decide(_match("包邮", STATEMENT_SUGGEST - 0.05), threshold=0.9, suggest_threshold=0.1).verdict == (
        "abstained"
    )
    assert (
        decide(_match("👍👍", 0.6, empty=True), threshold=0.9, suggest_threshold=0.1).verdict == "abstained"
    )
    assert decide(_match("包邮", 0.95), threshold=0.9, suggest_threshold=0.1).verdict == "answered"
