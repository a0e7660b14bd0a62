"""WHIP (RFC 9725) ingest: `POST /whip/{room}` with a Bearer publish token; the session is a resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from media.rtc.resource import (
    SDP,
    SDPFRAG,
    bearer_token,
    check_if_match,
    created_response,
    guarded,
    options_response,
    read_body,
)

if TYPE_CHECKING:
    from media.rtc.server import MediaServer


def add_whip_routes(app: web.Application, server: MediaServer) -> None:
    def refused(status: int) -> None:
        server.metrics.refused.labels(str(status)).inc()

    async def post(request: web.Request) -> web.StreamResponse:
        room_id = request.match_info["room"]
        server.room_settings(room_id)  # 404 before anything else
        token = bearer_token(request)
        # 401 (or 429 in the client's backoff) before reading the body
        server.slot_for_token(server.room_settings(room_id), token, server.address_of(request))
        offer = await read_body(request, SDP)
        peer = await server.publish(room_id, offer, token)
        location = str(request.app.router["whip_session"].url_for(room=room_id, session=peer.id))
        return created_response(server.rooms, room_id, location, peer.id, peer.answer)

    async def patch(request: web.Request) -> web.StreamResponse:
        room_id, session_id = request.match_info["room"], request.match_info["session"]
        _authorize_session(request, server, room_id, session_id)
        check_if_match(request, session_id)
        body = await read_body(request, SDPFRAG)
        await server.trickle("whip", room_id, session_id, body)
        return web.Response(status=204, headers={"Access-Control-Allow-Origin": "*"})

    async def delete(request: web.Request) -> web.StreamResponse:
        room_id, session_id = request.match_info["room"], request.match_info["session"]
        _authorize_session(request, server, room_id, session_id)
        await server.end_publisher(room_id, session_id)
        return web.Response(status=200, headers={"Access-Control-Allow-Origin": "*"})

    async def options(request: web.Request) -> web.StreamResponse:
        return options_response(server.rooms, request.match_info.get("room"))

    r = app.router
    r.add_post("/whip/{room}", guarded(post, refused), name="whip")
    r.add_route("OPTIONS", "/whip/{room}", guarded(options, refused))
    r.add_patch("/whip/{room}/{session}", guarded(patch, refused), name="whip_session")
    r.add_delete("/whip/{room}/{session}", guarded(delete, refused))
    r.add_route("OPTIONS", "/whip/{room}/{session}", guarded(options, refused))


def _authorize_session(request: web.Request, server: MediaServer, room_id: str, session_id: str) -> None:
    """The session id in the URL is unguessable; the token, when sent, must still be right."""
    from media.rtc.offers import MediaError

    peer = server.publishers.get(session_id)
    if peer is None or peer.room_id != room_id:
        raise MediaError(404, "no such WHIP session")
    token = bearer_token(request)
    if token is not None:
        server.slot_for_token(server.room_settings(room_id), token, server.address_of(request))
