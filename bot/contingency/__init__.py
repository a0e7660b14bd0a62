"""Contingency plans (应急预案): `ContingencyWatch` decides, `setup_contingency` carries out."""

from bot.contingency.watch import ContingencyWatch, PlanFiring

__all__ = ["ContingencyWatch", "PlanFiring"]
