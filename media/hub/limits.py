"""Caps per client address (new viewer ids a minute, claims of a coupon, entries into a lottery) and clicks
counted once per viewer and product a minute; what they refused, counted for the `limits_refused` event.

Pure: the caller passes the time and the room's `Limits`. The counts live in memory on this instance
(a restart starts them again; behind nginx's `ip_hash` one client's requests reach one instance).
"""

from __future__ import annotations

import ipaddress
from collections import Counter, deque
from functools import lru_cache
from typing import Any

from media.config import Limits

WINDOW = 60.0  # seconds: new viewer ids per address, clicks counted once per viewer and product
MAX_TRACKED = 100_000  # addresses or (viewer, product) pairs remembered at most; the oldest go first

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# What `limits_refused` counts: new viewer ids (429), claims, entries and ballots refused (no viewer id, or
# past a cap), clicks not counted (repeats within the window).
REFUSALS = ("new_viewers", "claims", "entries", "votes", "clicks")


@lru_cache(maxsize=64)
def _networks(exempt: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in exempt)


def exempt(address: str, limits: Limits) -> bool:
    """Addresses the caps do not apply to: the listed networks, and what is not an IP address at all
    (a Unix socket: every client would be one)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    return any(ip in network for network in _networks(limits.exempt))


class AddressLimits:
    """One hub's counts, for all its rooms."""

    def __init__(self) -> None:
        self._new: dict[tuple[str, str], deque[float]] = {}  # (room, address) → when ids were given
        self._taken: Counter[tuple[str, str, str, str]] = Counter()  # (room, what, id, address) → count
        self._clicks: dict[tuple[str, str, str], float] = {}  # (room, who, sku) → when counted
        self.refused: dict[str, Counter[str]] = {}  # room → what → refusals since the last report

    def _refuse(self, room: str, what: str) -> bool:
        self.refused.setdefault(room, Counter())[what] += 1
        return False

    def new_viewer(self, room: str, address: str, limits: Limits, now: float) -> bool:
        """May this address be given one more new viewer id now? (Counts it when yes.)"""
        if exempt(address, limits):
            return True
        given = self._new.setdefault((room, address), deque())
        while given and now - given[0] >= WINDOW:
            given.popleft()
        if len(given) >= limits.new_viewers_per_minute:
            return self._refuse(room, "new_viewers")
        given.append(now)
        self._bound(self._new)
        return True

    def take(self, room: str, what: str, item: str, address: str, limits: Limits) -> bool:
        """May this address take one more of `what` (`claims` of a coupon, `entries` into a lottery)?
        Counts it when yes; `give_back` undoes that when the taking did not happen after all."""
        if exempt(address, limits):
            return True
        cap = limits.claims_per_coupon if what == "claims" else limits.entries_per_lottery
        key = (room, what, item, address)
        if self._taken[key] >= cap:
            return self._refuse(room, what)
        self._taken[key] += 1
        self._bound(self._taken)
        return True

    def give_back(self, room: str, what: str, item: str, address: str, limits: Limits) -> None:
        key = (room, what, item, address)
        if not exempt(address, limits) and self._taken[key] > 0:
            self._taken[key] -= 1

    def refused_without_token(self, room: str, what: str) -> None:
        """A claim, entry or ballot from a socket that came without a viewer id: refused, counted."""
        self._refuse(room, what)

    def click_counts(self, room: str, who: str, sku: str, now: float) -> bool:
        """Count this click? Once per viewer (or address, without one) and product a minute."""
        key = (room, who, sku)
        last = self._clicks.get(key)
        if last is not None and now - last < WINDOW:
            self.refused.setdefault(room, Counter())["clicks"] += 1
            return False
        self._clicks[key] = now
        self._bound(self._clicks)
        return True

    def prune(self, now: float) -> None:
        """Forget windows that have passed (the hub calls this every few seconds)."""
        for gone in [k for k, given in self._new.items() if not given or now - given[-1] >= WINDOW]:
            del self._new[gone]
        for old in [k for k, at in self._clicks.items() if now - at >= WINDOW]:
            del self._clicks[old]

    def report(self, room: str) -> dict[str, int]:
        """What was refused in `room` since the last report (and start counting again)."""
        counts = self.refused.pop(room, Counter())
        return {k: counts[k] for k in REFUSALS if counts[k]}

    @staticmethod
    def _bound(table: dict[Any, Any]) -> None:
        while len(table) > MAX_TRACKED:
            del table[next(iter(table))]
