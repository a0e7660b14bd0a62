"""HTTP plumbing shared by WHIP and WHEP resources: CORS, errors, bodies, ETags, PATCH and DELETE."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from media.rooms import RoomDirectory
from media.rtc.offers import MAX_SDP_BYTES, MediaError, ice_link_headers

log = logging.getLogger(__name__)

SDP = "application/sdp"
SDPFRAG = "application/trickle-ice-sdpfrag"

# Cross-origin clients see only the response headers listed in Expose-Headers. WHIP/WHEP clients
# learn from Access-Control-Allow-Methods that PATCH (trickle ICE) is supported (@eyevinn/whip-web-client
# reads it from its OPTIONS request; without it the client waits for ICE gathering instead of
# trickling), and some send the session's ETag as an `ETag` request header on PATCH.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, ETag",
    "Access-Control-Expose-Headers": (
        "Location, ETag, Link, Accept-Patch, Accept-Post, Access-Control-Allow-Methods, X-Room-Video-Codec"
    ),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(exc: MediaError) -> web.Response:
    return web.Response(status=exc.status, text=exc.message + "\n", headers={**CORS, **exc.headers})


def guarded(handler: Handler, counter: Callable[[int], None]) -> Handler:
    """Turn `MediaError` into its HTTP answer, and anything unexpected into a 500 that keeps the server up."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except MediaError as exc:
            counter(exc.status)
            return error_response(exc)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            counter(500)
            return error_response(MediaError(500, "internal error while handling the media session"))

    return wrapped


def etag(session_id: str) -> str:
    return f'"{session_id}"'


async def read_body(request: web.Request, content_type: str) -> str:
    if request.content_type != content_type:
        raise MediaError(
            415, f"Content-Type must be {content_type}", {"Accept-Post": SDP} if content_type == SDP else {}
        )
    if request.content_length is not None and request.content_length > MAX_SDP_BYTES:
        raise MediaError(413, f"body larger than {MAX_SDP_BYTES} bytes")
    raw = await request.content.read(MAX_SDP_BYTES + 1)
    if len(raw) > MAX_SDP_BYTES:
        raise MediaError(413, f"body larger than {MAX_SDP_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MediaError(400, "body is not UTF-8 text") from exc


def options_response(rooms: RoomDirectory, room_id: str | None) -> web.Response:
    headers: dict[str, str] = {**CORS, "Accept-Post": SDP}
    response = web.Response(status=204, headers=headers)
    settings = rooms.get(room_id) if room_id else None
    if settings is not None:
        for link in ice_link_headers(settings.ice_servers):
            response.headers.add("Link", link)
    return response


def created_response(
    rooms: RoomDirectory, room_id: str, location: str, session_id: str, answer: str
) -> web.Response:
    response = web.Response(
        status=201,
        body=answer.encode(),
        headers={
            **CORS,
            "Content-Type": SDP,
            "Location": location,
            "ETag": etag(session_id),
            "Accept-Patch": SDPFRAG,
        },
    )
    settings = rooms.get(room_id)
    if settings is not None:
        for link in ice_link_headers(settings.ice_servers, session_id):
            response.headers.add("Link", link)
    return response


def check_if_match(request: web.Request, session_id: str) -> None:
    value = request.headers.get("If-Match")
    if value is not None and value.strip() not in ("*", etag(session_id)):
        raise MediaError(412, "If-Match does not match this session's ETag")


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
