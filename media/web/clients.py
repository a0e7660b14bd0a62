"""Who is asking: the client's address, in one place, for the per-address caps (`room.yaml` `limits`).

For now the address is the peer of the connection (`request.remote`). Behind a reverse proxy on
this machine that is the proxy (127.0.0.1, exempt by default); trusted `X-Forwarded-For` handling
belongs here, so every cap sees the same answer.
"""

from __future__ import annotations

from aiohttp import web


def client_address(request: web.Request) -> str:
    """The address the per-address caps count against ("" when the transport has none, e.g. a Unix socket)."""
    return request.remote or ""
