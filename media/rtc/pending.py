"""WHEP sessions waiting to connect: how many may wait, for how long, and one log line a minute for
what was refused or freed (a flood of idle offers must not become a flood of log lines)."""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter

# A WHEP session whose peer connection has not come up this long after its answer is freed …
CONNECT_TIMEOUT_S = 10.0
# … and at most this many wait at once from one client (a player retrying is 1–2) …
PENDING_PER_CLIENT = 4
REPORT_EVERY_S = 60.0


def pending_total_default() -> int:
    """… and in all: an eighth of the open-file limit (a waiting peer holds a few sockets and an ICE
    agent), between 16 and 1,000 — with `ulimit -n 1024`, 128."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(1000, (soft if soft > 0 else 1024) // 8))


class RefusalLog:
    """Counts refusals by reason and logs them at most once every `REPORT_EVERY_S` (the first at once)."""

    def __init__(self, logger: logging.Logger, every: float = REPORT_EVERY_S) -> None:
        self.logger = logger
        self.every = every
        self.counts: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self._last = -every

    def count(self, reason: str) -> None:
        self.counts[reason] += 1
        self.total[reason] += 1
        self.flush()

    def flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.counts and (force or now - self._last >= self.every):
            self._last = now
            parts = ", ".join(f"{reason} {n}" for reason, n in sorted(self.counts.items()))
            self.logger.warning(
                "WHEP sessions refused or freed in the last %d s: %s "
                "(client: too many waiting from one address; total: too many waiting; "
                "timeout: not connected in time)",
                int(self.every),
                parts,
            )
            self.counts.clear()
