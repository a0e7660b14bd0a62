"""`GET /ws/{room}`: the room socket — identify, greet, then read frames until the socket closes.

Each bad frame gets an `error` reply on that socket only; a socket that keeps sending bad
frames is closed with 1008 (policy violation). Frames above `MAX_FRAME` are refused by
aiohttp itself with 1009 (message too big).
"""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata

from aiohttp import WSCloseCode, WSMsgType, web

from media.hub.connections import Connection, release
from media.hub.core import Room
from media.hub.events import HubError
from media.hub.hub import RoomHub
from media.hub.identity import VIEWER_COOKIE, default_nickname
from media.hub.moderation import clean, moderate
from media.hub.protocol import ErrorReply, ProtocolError, Role, parse_incoming
from media.i18n import t
from media.web.api import api_error, refuse, too_many_failures
from media.web.auth import TeamAuth, TooManyFailures
from media.web.clients import client_address

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # a frame above this gets `too_large`
MAX_FRAME = 64 * 1024  # above this aiohttp closes the socket (1009)
ABUSE_ERRORS = 20  # this many errors …
ABUSE_WINDOW = 30.0  # … within this many seconds close the socket
NICKNAME_MAX = 20


def nickname_from(requested: str | None, viewer_id: str, room: Room) -> str:
    settings = room.state.settings
    if requested:
        name = clean(unicodedata.normalize("NFKC", requested))[:NICKNAME_MAX]
        verdict = moderate(name, rule=settings.moderation, staff=False, muted=False, recent=(), now=0.0)
        if verdict.allowed:
            return verdict.text
    return default_nickname(viewer_id, settings.language)


async def room_socket(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.StreamResponse:
    room_id = request.match_info["room"]
    settings = hub.directory.get(room_id)
    if settings is None:
        raise refuse(None, 404, "unknown_room")
    wanted = request.query.get("role", "viewer")
    role: Role = "viewer"
    token = request.query.get("token") or request.cookies.get(VIEWER_COOKIE)
    identity = hub.ids.ensure(token)
    identified = identity.token == token  # came with a valid viewer id, not given a new one now
    address = client_address(request)
    nickname: str | None = None
    if wanted in ("team", "host", "bot"):
        session = auth.session(request, room_id)
        try:
            bot = wanted == "bot" and auth.bearer_ok(request, settings, check="bot")
        except TooManyFailures as exc:
            raise too_many_failures(settings.language, exc) from None
        if bot:
            role, nickname = "bot", settings.bot_name
        elif (
            session is not None
            and session.role == wanted
            and auth.csrf_ok(request, session, request.query.get("csrf"))
        ):
            role = session.role
        else:
            raise refuse(settings.language, 403, "csrf")
    if (
        role == "viewer"
        and not identified
        and not hub.limits.new_viewer(room_id, address, settings.limits, hub.clock.time())
    ):
        message = t(settings.language, "api.error.too_many_new_viewers")
        raise api_error(429, "too_many_new_viewers", message, headers={"Retry-After": "60"})
    room = await hub.room(room_id)
    if nickname is None:
        nickname = nickname_from(request.query.get("nick"), identity.viewer_id, room)
        if role != "viewer":
            nickname = clean(request.query.get("nick", ""))[:NICKNAME_MAX] or hub.default_nickname(room, role)

    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME, compress=False)
    await ws.prepare(request)
    conn = Connection(
        id="c" + secrets.token_hex(8),
        room_id=room_id,
        viewer_id=identity.viewer_id,
        nickname=nickname,
        role=role,
        ws=ws,
        transport=request.transport,  # type: ignore[arg-type]
        joined_at=hub.clock.time(),
        address=address,
        identified=identified or role != "viewer",
        slow_buffer_bytes=hub.slow_buffer_bytes,
        slow_drop_s=hub.slow_drop_s,
    )
    try:
        await hub.join(room, conn)
    except Exception:
        log.exception("join failed")
        await conn.close(WSCloseCode.TRY_AGAIN_LATER, b"try again")
        return ws
    try:
        async for frame in ws:
            arrived = time.perf_counter()
            if frame.type == WSMsgType.TEXT:
                data: str = frame.data
                if len(data) > MAX_TEXT:
                    hub.refuse(room, conn, "too_large")
                else:
                    await _one(hub, room, conn, data, arrived)
            elif frame.type == WSMsgType.BINARY:
                hub.refuse(room, conn, "binary")
            elif frame.type == WSMsgType.ERROR:
                break
            if _abusive(conn):
                conn.send(ErrorReply(code="abuse", message=t(settings.language, "hub.error.abuse")))
                await conn.close(WSCloseCode.POLICY_VIOLATION, b"too many bad messages")
                break
    finally:
        await hub.leave(room, conn)
        release(conn.transport)  # a peer gone silent (heartbeat), aborted or closed: its file is freed now
    return ws


async def _one(hub: RoomHub, room: Room, conn: Connection, data: str, arrived: float) -> None:
    try:
        message = parse_incoming(data)
    except ProtocolError as exc:
        hub.refuse(room, conn, exc.code, exc.detail or None)
        return
    try:
        await hub.handle(room, conn, message, arrived)
    except HubError as exc:
        hub.refuse(room, conn, exc.code, exc.detail or None)
    except Exception:
        # The database or the bus failed: this socket hears about it, the room goes on.
        log.exception("handling %s failed", type(message).__name__)
        hub.refuse(room, conn, "internal")


def _abusive(conn: Connection) -> bool:
    now = time.monotonic()
    return sum(1 for t0 in conn.errors if now - t0 < ABUSE_WINDOW) >= ABUSE_ERRORS
