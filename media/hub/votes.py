"""Vote arithmetic: tallies from ballots and the winner, as plain functions."""

from __future__ import annotations

from collections.abc import Mapping


def tallies(ballots: Mapping[str, int], options: int) -> list[int]:
    counts = [0] * options
    for option in ballots.values():
        if 0 <= option < options:
            counts[option] += 1
    return counts


def winner(counts: list[int]) -> int | None:
    """The option with most ballots; a tie goes to the earliest option; no ballots, no winner."""
    if not counts or max(counts) == 0:
        return None
    return counts.index(max(counts))
