"""The plain data the KPI maths works on besides the events themselves: a rate kept as numerator and denominator."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


Number = int | float | Decimal


@dataclass(frozen=True, slots=True)
class Ratio:
    """A rate or an average with both of its parts, so rates can be pooled and checked by hand."""

    numerator: Number
    denominator: int

    @property
    def value(self) -> float:
        """numerator / denominator, 0 when nothing was counted."""
        if not self.denominator:
            return 0.0
        return float(self.numerator) / self.denominator

    def money(self) -> Decimal:
        """numerator / denominator in yuan, rounded half up to the cent."""
        if not self.denominator:
            return Decimal("0.00")
        return (Decimal(self.numerator) / self.denominator).quantize(CENT, rounding=ROUND_HALF_UP)

    def __add__(self, other: Ratio) -> Ratio:
        """Pool two rates: the sum of numerators over the sum of denominators."""
        numerator: Number
        if isinstance(self.numerator, Decimal) or isinstance(other.numerator, Decimal):
            numerator = Decimal(self.numerator) + Decimal(other.numerator)
        else:
            numerator = self.numerator + other.numerator
        return Ratio(numerator, self.denominator + other.denominator)


def money(value: object) -> Decimal:
    """An amount from the log (`"159.00"`) as Decimal yuan; unreadable amounts count as 0."""
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (ArithmeticError, ValueError):
        return Decimal("0.00")
