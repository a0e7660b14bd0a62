"""Fill the placeholders planners write in bot texts: {name} {price} {live_price} {stock} {coupon:<id>}."""

from __future__ import annotations

import re

from bot.rules.models import Product, Rulebook

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
