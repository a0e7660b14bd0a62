"""Fill the placeholders planners write in bot texts: {name} {price} {live_price} {stock} {coupon:<id>}."""

from __future__ import annotations

import re

from bot.rules.models import Product, Rulebook
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "placeholders",
    {
        "placeholders.winner.name": {
            "zh-CN": "〈投票“{vote}”胜出的商品〉",
            "en": "‹the winner of vote “{vote}”›",
        },
        "placeholders.winner.price": {"zh-CN": "〈胜出商品的日常价〉", "en": "‹the winner's list price›"},
        "placeholders.winner.live_price": {
            "zh-CN": "〈胜出商品的直播价〉",
            "en": "‹the winner's live price›",
        },
        "placeholders.winner.stock": {"zh-CN": "〈胜出商品的库存〉", "en": "‹the winner's stock›"},
        "placeholders.none.name": {"zh-CN": "〈本环节的商品〉", "en": "‹this segment's product›"},
        "placeholders.none.price": {"zh-CN": "〈日常价〉", "en": "‹list price›"},
        "placeholders.none.live_price": {"zh-CN": "〈直播价〉", "en": "‹live price›"},
        "placeholders.none.stock": {"zh-CN": "〈库存〉", "en": "‹stock›"},
        "placeholders.coupon": {"zh-CN": "〈优惠券 {coupon}〉", "en": "‹coupon {coupon}›"},
    },
)

_PLACEHOLDER = re.compile(r"\{(name|price|live_price|stock|coupon:[a-z0-9-]+)\}")


def _money(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fill(text: str, product: Product | None, rulebook: Rulebook | None = None) -> str:
    """Replace what can be replaced; an unknown placeholder stays as written (the check reports it)."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("coupon:"):
            coupon = rulebook.coupon(key.removeprefix("coupon:")) if rulebook else None
            return coupon.title if coupon else match.group(0)
        if product is None:
            return match.group(0)
        if key == "name":
            return product.name
        if key == "price":
            return _money(product.price)
        if key == "live_price":
            return _money(product.selling_price)
        return str(product.stock) if product.stock is not None else match.group(0)

    return _PLACEHOLDER.sub(one, text)


def fill_for_people(
    text: str,
    product: Product | None,
    rulebook: Rulebook | None,
    lang: str,
    winner_of: str | None = None,
) -> str:
    """A text as a person reads it before the show: filled where the product is known, and where it is
    not yet (a vote's winner, decided live) or not at all, a word in its place — never `{name}`."""
    filled = fill(text, product, rulebook)

    def words(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("coupon:"):
            return t(lang, "placeholders.coupon", coupon=key.removeprefix("coupon:"))
        if winner_of is not None:
            return t(lang, f"placeholders.winner.{key}", vote=winner_of)
        return t(lang, f"placeholders.none.{key}")

    return _PLACEHOLDER.sub(words, filled)
