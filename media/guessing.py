"""Credential backoff: a client's failed credential checks make its next tries wait, doubling each time.

Every place a password or token is checked (the team password as a bearer token or a bot socket's,
the studio and host sign-in forms, WHIP publish tokens and guest invites) asks `wait(client)` first
and reports `failed` or `succeeded`. Only the failing client waits: the team's right password from
any other address is checked as usual. What was refused is counted for `/metrics` and reported once
a minute per room (`credentials_refused`), which the team's alerts hear.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

Check = Literal["bearer", "form", "whip", "bot"]
CHECKS: tuple[Check, ...] = ("bearer", "form", "whip", "bot")

FREE_FAILURES = 5  # a typo or two costs nothing: the wait starts after this many failures …
FIRST_WAIT = 1.0  # … at this many seconds, doubling with every further failure …
MAX_WAIT = 900.0  # … up to this
FORGET_AFTER = 900.0  # a client that has not failed for this long starts again from zero
MAX_CLIENTS = 50_000  # clients remembered at most (the oldest failure forgotten first)


@dataclass
class _Client:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


@dataclass
class _Tally:
    """What one room's checks refused since its last report."""

    failures: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    by_client: Counter[str] = field(default_factory=Counter)


@dataclass
class CredentialBackoff:
    clock: Callable[[], float] = time.monotonic
    clients: dict[str, _Client] = field(default_factory=dict)
    failures_total: Counter[str] = field(default_factory=Counter)
    throttled_total: Counter[str] = field(default_factory=Counter)
    _tallies: dict[str, _Tally] = field(default_factory=dict)

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before its next credential is checked (0: check it now)."""
        entry = self.clients.get(client)
        if entry is None:
            return 0.0
        now = self.clock()
        if now - entry.last > FORGET_AFTER:
            del self.clients[client]
            return 0.0
        return max(0.0, entry.until - now)

    def throttled(self, client: str, check: Check, room_id: str) -> float:
        """`wait(client)`, counting a refusal when it is above 0 (the caller answers 429)."""
        seconds = self.wait(client)
        if seconds > 0:
            self.throttled_total[check] += 1
            self._tally(room_id).throttled += 1
        return seconds

    def failed(self, client: str, check: Check, room_id: str) -> None:
        now = self.clock()
        entry = self.clients.pop(client, None)  # re-inserted last: the dict's order is the failures' order
        if entry is None or now - entry.last > FORGET_AFTER:
            entry = _Client()
        self.clients[client] = entry
        if len(self.clients) > MAX_CLIENTS:
            del self.clients[next(iter(self.clients))]
        entry.failures += 1
        entry.last = now
        if entry.failures > FREE_FAILURES:
            entry.until = now + min(MAX_WAIT, FIRST_WAIT * 2 ** min(entry.failures - FREE_FAILURES - 1, 20))
        self.failures_total[check] += 1
        tally = self._tally(room_id)
        tally.failures[check] += 1
        tally.by_client[client] += 1

    def succeeded(self, client: str) -> None:
        self.clients.pop(client, None)

    def report(self, room_id: str) -> dict[str, object] | None:
        """What was refused in `room_id` since the last report (None when nothing was), then start again."""
        tally = self._tallies.pop(room_id, None)
        unplaced = self._tallies.pop("", None)  # a check that did not say its room (the sign-in form)
        if unplaced is not None:
            tally = tally or _Tally()
            tally.failures.update(unplaced.failures)
            tally.throttled += unplaced.throttled
            tally.by_client.update(unplaced.by_client)
        if tally is None:
            return None
        top = tally.by_client.most_common(1)
        return {
            "failures": {check: tally.failures.get(check, 0) for check in CHECKS},
            "total": sum(tally.failures.values()),
            "throttled": tally.throttled,
            "clients": len(tally.by_client),
            "top_client": top[0][0] if top else "",
            "top_failures": top[0][1] if top else 0,
        }

    def rooms_to_report(self, known: list[str]) -> list[str]:
        """The rooms among `known` with something to report (checks that named no room go to the first)."""
        due = [room for room in known if room in self._tallies]
        if "" in self._tallies and known and not due:
            due = [known[0]]
        return due

    def _tally(self, room_id: str) -> _Tally:
        return self._tallies.setdefault(room_id, _Tally())


class BackoffCollector(Collector):
    """`liveroom_credential_failures_total{check}` and `liveroom_credential_throttled_total{check}`."""

    def __init__(self, backoff: CredentialBackoff) -> None:
        self.backoff = backoff

    def collect(self) -> Iterator[CounterMetricFamily]:
        failures = CounterMetricFamily(
            "liveroom_credential_failures", "Wrong passwords or tokens, by check", labels=["check"]
        )
        throttled = CounterMetricFamily(
            "liveroom_credential_throttled",
            "Credential checks refused (429) during a backoff",
            labels=["check"],
        )
        for check in CHECKS:
            failures.add_metric([check], self.backoff.failures_total.get(check, 0))
            throttled.add_metric([check], self.backoff.throttled_total.get(check, 0))
        yield failures
        yield throttled
