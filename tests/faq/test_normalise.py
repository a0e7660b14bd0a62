from bot.faq.normalise import basic, normalise, stem


def test_traditional_becomes_simplified():
    assert normalise("什麼時候發貨") == "什么时候发货"


def test_full_width_and_case_fold():
    assert basic("ＳＩＺＥ怎么选？１号链接") == "size怎么选 1号链接"


def test_emoji_punctuation_and_filler_go():
    assert normalise("宝宝们 发货快吗😭😭？？啊啊") == "发货快吗"
    assert normalise("亲 包邮吗亲") == "包邮吗"
    # 亲 inside a word stays
    assert "亲肤" in normalise("亲肤吗")


def test_host_is_not_filler():
    # "主播多大了" asks about the host, not the pinned pan's size
    assert "主播" in normalise("主播多大了")


def test_repeated_characters_collapse_but_numbers_stay():
    assert normalise("发货快快快快") == "发货快"
    assert normalise("3000毫升") == "3000毫升"


def test_english_inflections_share_a_stem():
    assert stem("shipping") == stem("shipped") == stem("ships") == stem("ship")
    assert stem("sizes") == stem("size")
    assert stem("deliveries") == stem("delivery")
    assert normalise("What's the Shipping?") == "what the ship"


def test_chinese_numerals_before_hao():
    assert normalise("一号链接") == "1号链接"
