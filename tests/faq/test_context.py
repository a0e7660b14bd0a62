"""The pinned product, aliases and "N号链接" decide between entries that differ only by product."""


def test_pinned_product_decides_between_same_questions(answerer):
    assert answerer.answer("能机洗吗", "DOWN-03").faq_id == "down-wash"
    assert answerer.answer("能机洗吗", "BLANKET-06").faq_id == "blanket-wash"
    assert answerer.answer("会起球吗", "SOCKS-07").faq_id == "socks-material"
    assert answerer.answer("会起球吗", "BLANKET-06").faq_id == "blanket-shed"


def test_price_is_rendered_for_the_right_product(answerer):
    pan = answerer.answer("多少钱", "PAN-01")
    assert pan.faq_id == "pan-price" and "159" in pan.text and "299" in pan.text
    socks = answerer.answer("多少钱", "SOCKS-07")
    assert socks.faq_id == "socks-price" and "39.9" in socks.text and "{" not in socks.text


def test_named_product_wins_over_pinned(answerer):
    assert answerer.answer("2号链接多少钱", "PAN-01").faq_id == "kettle-price"
    assert answerer.answer("羽绒服多少钱", "TEA-05").faq_id == "down-price"
    assert answerer.answer("how much is the kettle", "PAN-01").faq_id == "kettle-price"


def test_chinese_numeral_link(answerer):
    assert answerer.answer("三号链接多少钱").faq_id == "down-price"


def test_shop_wide_entries_apply_to_every_product(answerer):
    for sku in ("PAN-01", "TEA-05", None):
        assert answerer.answer("多久发货", sku).faq_id == "ship-time"
    assert answerer.answer("1号链接有优惠卷吗").faq_id == "coupon-get"


def test_other_products_entry_is_never_answered(answerer):
    # the thermos answers milk questions; the kettle has no such entry
    assert answerer.answer("水壶能装牛奶吗").faq_id is None
    assert answerer.answer("能装牛奶吗", "THERMOS-04").faq_id == "thermos-material"
    assert answerer.answer("电磁炉能用吗", "DOWN-03").faq_id is None


def test_question_naming_only_a_product_is_not_answered(answerer):
    assert answerer.answer("1号链接").faq_id is None
    assert answerer.answer("锅", "PAN-01").faq_id is None
