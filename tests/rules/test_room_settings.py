"""What the pages get from the rulebook through the room settings: coupons.yaml as it reads, and the shows'
votes, 福袋 and flash sales as the studio's one-tap buttons open them."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.app.credentials import Credentials
from bot.app.roomsettings import room_settings
from bot.rules import load_rulebook

BASE = Path(__file__).parent.parent / "rules_bad" / "_base"
CREDS = Credentials("secret", "publish", "team", False, False)


def test_the_pages_get_coupons_and_the_shows_votes_lotteries_and_flash_sales() -> None:
    settings = room_settings(load_rulebook(BASE), CREDS)
    [coupon] = settings.coupons
    assert (coupon.id, coupon.discount, coupon.min_spend, coupon.valid_minutes) == ("save-50", 50, 199, 30)
    [vote] = settings.votes
    assert vote.id == "pick" and vote.options == ("不粘炒锅", "红茶礼盒")  # product options by name
    assert vote.duration_s == 120 and vote.show == "s"
    [lottery] = settings.lotteries
    assert (lottery.id, lottery.prize, lottery.winners, lottery.keyword, lottery.window_s) == (
        "bag-1",
        "保温杯",
        3,
        "好物",
        180,
    )
    assert lottery.present and lottery.require == ()
    [sale] = settings.flash_sales
    assert (sale.title, sale.duration_s, sale.sku, sale.stock) == ("限时秒杀", 120, "PAN-01", 20)


def test_a_product_picture_is_optional(tmp_path: Path) -> None:
    settings = room_settings(load_rulebook(BASE), CREDS)
    assert [p.image for p in settings.products] == [None, None]
    rules = tmp_path / "rules"
    shutil.copytree(BASE, rules)
    products = rules / "products.yaml"
    products.write_text(
        products.read_text(encoding="utf-8").replace(
            "  stock: 100\n", "  stock: 100\n  image: https://shop.example.com/pan.jpg\n"
        ),
        encoding="utf-8",
    )
    pictured = room_settings(load_rulebook(rules), CREDS)
    assert pictured.products[0].image == "https://shop.example.com/pan.jpg"
