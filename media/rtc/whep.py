"""WHEP playback: `POST /whep/{room}` with a recvonly offer; viewers are anonymous."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from media.rtc.offers import MediaError
from media.rtc.resource import (
    SDP,
    SDPFRAG,
    check_if_match,
    created_response,
    guarded,
    options_response,
    read_body,
)

if TYPE_CHECKING:
    from media.rtc.server import MediaServer


def add_whep_routes(app: web.Application, server: MediaServer) -> None:
    def refused(status: int) -> None:
        server.metrics.refused.labels(str(status)).inc()

    async def post(request: web.Request) -> web.StreamResponse:
        room_id = request.match_info["room"]
        server.room_settings(room_id)
        offer = await read_body(request, SDP)
        record, answer = await server.play(room_id, offer, server.address_of(request))
        location = str(request.app.router["whep_session"].url_for(room=room_id, session=record.id))
        return created_response(server.rooms, room_id, location, record.id, answer)

    async def patch(request: web.Request) -> web.StreamResponse:
        room_id, session_id = request.match_info["room"], request.match_info["session"]
        check_if_match(request, session_id)
        body = await read_body(request, SDPFRAG)
        await server.trickle("whep", room_id, session_id, body)
        return web.Response(status=204, headers={"Access-Control-Allow-Origin": "*"})

    async def delete(request: web.Request) -> web.StreamResponse:
        room_id, session_id = request.match_info["room"], request.match_info["session"]
        if not await server.end_viewer(room_id, session_id):
            raise MediaError(404, "no such WHEP session")
        return web.Response(status=200, headers={"Access-Control-Allow-Origin": "*"})

    async def options(request: web.Request) -> web.StreamResponse:
        return options_response(server.rooms, request.match_info.get("room"))

    async def status(request: web.Request) -> web.StreamResponse:
        # What the player shows while it has no picture: waiting for the host, or the host reconnecting.
        room_id = request.match_info["room"]
        server.room_settings(room_id)
        stream = server.streams.get(room_id)
        return web.json_response(
            {"live": server.is_live(room_id), "guest": bool(stream and stream.slots["guest"].live)},
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
        )

    r = app.router
    r.add_post("/whep/{room}", guarded(post, refused), name="whep")
    r.add_route("OPTIONS", "/whep/{room}", guarded(options, refused))
    r.add_get("/whep/{room}/status", guarded(status, refused), name="whep_status")
    r.add_patch("/whep/{room}/{session}", guarded(patch, refused), name="whep_session")
    r.add_delete("/whep/{room}/{session}", guarded(delete, refused))
    r.add_route("OPTIONS", "/whep/{room}/{session}", guarded(options, refused))
