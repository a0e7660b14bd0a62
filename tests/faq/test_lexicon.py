from bot.faq.index import FaqIndex
from bot.faq.lexicon import BUILTIN_GROUPS, Lexicon
from bot.faq.normalise import normalise
from bot.rules.models import FaqEntry


def test_builtin_groups_do_not_overlap():
    seen = {}
    for i, group in enumerate(BUILTIN_GROUPS):
        for term in group:
            key = normalise(term)
            assert seen.setdefault(key, i) == i, f"{term!r} is in two groups"


def test_builtin_synonyms_cross_languages():
    lex = Lexicon.build()
    assert lex.same("码数", "size")
    assert lex.same("尺码", "Sizes")
    assert lex.same("发货", "ship")
    assert lex.same("优惠券", "yhq")
    assert lex.same("优惠卷", "coupon")
    assert lex.same("退货", "return")
    assert not lex.same("退货", "发货")


def test_room_synonyms_extend_an_existing_group():
    lex = Lexicon.build([["码", "号型"], ["米饭", "rice"]])
    assert lex.same("号型", "size")
    assert lex.same("米饭", "rice")


def test_room_synonyms_reach_the_matcher():
    entries = [
        FaqEntry(id="spicy", q=["辣不辣"], a="微辣"),
        FaqEntry(id="ship", q=["多久发货"], a="48小时"),
    ]
    without = FaqIndex.build(entries).best_match("够劲吗")
    with_room = FaqIndex.build(entries, synonyms=[["辣不辣", "够劲"]]).best_match("够劲吗")
    assert with_room.faq_id == "spicy" and with_room.score > 0.8
    assert without.score < 0.3
