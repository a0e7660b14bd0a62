"""Short-lived TURN credentials, coturn's `use-auth-secret` scheme (the TURN REST API draft).

A TURN server with a `secret` (coturn's `static-auth-secret`) is handed out only in a WHIP or WHEP
session's answer, with a username `<expiry unix time>:<session id>` and the password
`base64(HMAC-SHA1(secret, username))`, valid for the server's `ttl`. A TURN server configured with a
fixed username and password is used by liveroom's own peers only and never handed to anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from media.config import IceServer


def is_turn(url: str) -> bool:
    return url.lower().startswith(("turn:", "turns:"))


def turn_credentials(secret: str, who: str, ttl: float, now: float | None = None) -> tuple[str, str]:
    """(username, password) for `who` (a session id), valid until `now + ttl`."""
    expires = int((time.time() if now is None else now) + ttl)
    username = f"{expires}:{who.replace(':', '')}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def handed_out(
    servers: tuple[IceServer, ...], session: str | None, now: float | None = None
) -> list[IceServer]:
    """What a client may be told: STUN always; TURN only for a `session`, and only with credentials
    made for it from the server's secret (never a fixed password)."""
    out = []
    for server in servers:
        stun = tuple(u for u in server.urls if not is_turn(u))
        turn = tuple(u for u in server.urls if is_turn(u))
        if stun:
            out.append(IceServer(stun))
        if turn and session is not None and server.secret:
            username, password = turn_credentials(server.secret, session, server.ttl, now)
            out.append(IceServer(turn, username, password))
    return out


def for_own_peers(servers: tuple[IceServer, ...]) -> tuple[IceServer, ...]:
    """The servers liveroom's own peer connections use: fixed credentials as given, secret-based ones
    with credentials of liveroom's own."""
    out = []
    for server in servers:
        if server.secret:
            username, password = turn_credentials(server.secret, "liveroom", server.ttl)
            out.append(IceServer(server.urls, username, password))
        else:
            out.append(server)
    return tuple(out)
