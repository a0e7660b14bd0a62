"""The access log without secrets: query values and Referers that could carry a token are masked.

aiohttp's default line records the request line as sent (`GET /ws/demo?token=…&csrf=… HTTP/1.1`).
Viewer tokens, CSRF tokens, invites and anything named like a password or a key are written as `***`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, quote, urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

SENSITIVE = re.compile(r"token|csrf|pass|secret|key|sig|auth|invite|session|code", re.IGNORECASE)
MASK = "***"


def masked(target: str) -> str:
    """`target` (a path with its query, or a URL) with every sensitive query value replaced by `***`."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{quote(k)}={MASK if SENSITIVE.search(k) else quote(v)}" for k, v in pairs)
    return parts._replace(query=query).geturl()


class MaskingAccessLogger(AbstractAccessLogger):
    """`127.0.0.1 "GET /ws/demo?token=*** HTTP/1.1" 101 0 0.004s "referer" "agent"` (the address is the
    connection's peer: behind nginx, nginx's own access log has the client's)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, elapsed: float) -> None:
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        referer = masked(request.headers.get("Referer", "-"))
        agent = request.headers.get("User-Agent", "-")
        self.logger.info(
            '%s "%s %s %s" %s %s %.3fs "%s" "%s"',
            request.remote or "-",
            request.method,
            masked(request.path_qs),
            version,
            response.status,
            response.body_length,
            elapsed,
            referer,
            agent,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
