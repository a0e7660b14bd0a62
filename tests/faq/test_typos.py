import pytest

from bot.faq.typos import EnglishRepair, PinyinRepair, pinyin_key


def test_fuzzy_pinyin_merges_common_confusions():
    assert pinyin_key("尺码") == pinyin_key("尺吗")
    assert pinyin_key("是") == pinyin_key("四")  # sh/s


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("尺吗怎么选", "尺码怎么选"), ("能退活吗", "能退货吗"), ("包油吗", "包邮吗"), ("福带", "福袋")],
)
def test_homophone_typos_are_repaired(typed, meant):
    repair = PinyinRepair(["尺码", "退货", "包邮", "福袋", "怎么"])
    assert repair.repair(typed) == meant


def test_known_words_and_unrelated_homophones_stay():
    repair = PinyinRepair(["尺码", "时候"])
    assert repair.repair("尺码") == "尺码"
    # same sound, no shared character: not assumed to be a typo
    assert repair.repair("吃马") == "吃马"


def test_english_typos_only_for_longer_words():
    repair = EnglishRepair(["coupon", "invoice", "wok"])
    assert repair.repair("cupon") == "coupon"
    assert repair.repair("invoce") == "invoice"
    assert repair.repair("work") == "work"


def test_a_known_single_character_word_is_not_respelled():
    # 寄 (to post) sounds like 机: with 寄 a word of its own, 能寄 stays 能寄.
    assert PinyinRepair(["能机"], singles=["寄"]).repair("能寄") == "能寄"
    assert PinyinRepair(["能机"]).repair("能寄") == "能机"
