"""Fair draws: a pure function of the seed and the sorted entrants, checkable by anyone.

`sha256(seed)` is published when a lottery opens; the seed is published with the result.
The random stream is SHA-256 in counter mode over the seed; winners come from a partial
Fisher–Yates shuffle with rejection sampling, so there is no modulo bias, every entrant
has the same chance, and no one wins twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

ALGORITHM = "sha256-ctr-fisher-yates-v1"


def new_seed() -> str:
    return secrets.token_hex(32)


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _stream(seed: str) -> Iterator[int]:
    """64-bit words from sha256(seed || ':' || counter), counter = 0, 1, 2, …"""
    counter = 0
    while True:
        block = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i : i + 8], "big")
        counter += 1


def _below(words: Iterator[int], n: int) -> int:
    """A uniform integer in [0, n): words at or above the largest multiple of n are rejected."""
    limit = (1 << 64) - ((1 << 64) % n)
    while True:
        word = next(words)
        if word < limit:
            return word % n


def draw(seed: str, sorted_entrants: Sequence[str], n: int) -> list[str]:
    """Pick min(n, len(entrants)) distinct winners, in the order drawn."""
    if list(sorted_entrants) != sorted(set(sorted_entrants)):
        raise ValueError("entrants must be sorted and distinct")
    pool = list(sorted_entrants)
    words = _stream(seed)
    k = min(n, len(pool))
    for i in range(k):
        j = i + _below(words, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


@dataclass(frozen=True)
class EntrantFacts:
    """What the room knows about one entrant at the draw."""

    watched_seconds: float = 0.0
    present: bool = False
    claimed_coupon: bool = False
    clicked_product: bool = False
    muted: bool = False


def eligible(
    entrants: Sequence[str],
    facts: Mapping[str, EntrantFacts],
    *,
    min_watch_seconds: float = 0.0,
    present: bool = False,
    require: Sequence[str] = (),
) -> list[str]:
    """The sorted entrants who meet the lottery's conditions (muted viewers never do)."""
    chosen = []
    for viewer in sorted(set(entrants)):
        f = facts.get(viewer, EntrantFacts())
        if f.muted or f.watched_seconds < min_watch_seconds or (present and not f.present):
            continue
        if "claimed_coupon" in require and not f.claimed_coupon:
            continue
        if "clicked_product" in require and not f.clicked_product:
            continue
        chosen.append(viewer)
    return chosen
