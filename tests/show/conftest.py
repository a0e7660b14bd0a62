"""Fixtures for the show runner tests (defined in harness.py)."""

from .harness import make_stage

__all__ = ["make_stage"]
