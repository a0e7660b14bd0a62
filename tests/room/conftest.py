"""Fixtures for the room hub tests (defined in harness.py, which the browser tests share)."""

from .harness import make_room_app

__all__ = ["make_room_app"]
