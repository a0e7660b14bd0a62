"""HLS over HTTP: `GET /hls/{room}/index.m3u8` and its init segment, segments and LL-HLS parts.

Everything is served from the room's `HlsStream` in memory, with cache headers made for a CDN or an
nginx cache in front (deploy/nginx-hls.conf): media files never change once written (cached a day,
their names carry the session and sequence number); a blocking playlist request (`?_HLS_msn=N`,
`&_HLS_part=M`) names a state that never changes either (cached a minute; sequence numbers never
repeat for a room); the plain playlist changes with every part (cached one second). A request for the
part or playlist state that comes next is held until it exists (LL-HLS blocking reload and preload
hints), so a cache with `proxy_cache_lock` sends one request upstream for all its viewers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiohttp import web

from media.rtc.hls import HlsStream
from media.rtc.offers import MediaError
from media.rtc.resource import guarded

if TYPE_CHECKING:
    from media.rtc.server import MediaServer

PLAYLIST = "application/vnd.apple.mpegurl"
MEDIA = "video/mp4"
IMMUTABLE = "public, max-age=86400, immutable"
LIVE_PLAYLIST = "public, max-age=1"
BLOCKED_PLAYLIST = "public, max-age=60"
NOT_THERE = "no-cache"
FIRST_PART_WAIT_S = 6.0  # the host just went live: a first playlist is worth waiting for
NAME = re.compile(
    r"^(?P<gen>[0-9a-f]{8})-(?:(?P<init>init)\.mp4|(?P<msn>\d{1,19})(?:\.(?P<part>\d{1,4}))?\.m4s)$"
)


def _headers(cache: str) -> dict[str, str]:
    return {"Cache-Control": cache, "Access-Control-Allow-Origin": "*"}


def _int(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 19:
        raise MediaError(400, f"{name} must be a non-negative integer")
    return int(value)


def add_hls_routes(app: web.Application, server: MediaServer) -> None:
    def refused(status: int) -> None:
        server.metrics.refused.labels(str(status)).inc()

    def stream_of(room_id: str) -> HlsStream:
        settings = server.room_settings(room_id)
        stream = server.hls.get(room_id)
        if stream is None:
            if settings.hls is None:
                raise MediaError(404, "this room has no HLS output (room.yaml `hls`)", _headers(NOT_THERE))
            raise MediaError(404, "the host is not live (no HLS stream yet)", _headers(NOT_THERE))
        return stream

    async def playlist(request: web.Request) -> web.StreamResponse:
        room_id = request.match_info["room"]
        stream = stream_of(room_id)
        msn, part = _int(request, "_HLS_msn"), _int(request, "_HLS_part")
        if part is not None and msn is None:
            raise MediaError(400, "_HLS_part needs _HLS_msn")
        cache = LIVE_PLAYLIST
        if msn is not None:
            if not stream.has(msn, part):
                if not stream.upcoming(msn, part):
                    raise MediaError(400, f"segment {msn} is not in this playlist's near future")
                if not await stream.wait(lambda: stream.has(msn, part), 3 * stream.target_duration()):
                    raise MediaError(503, "the stream did not reach that part in time", _headers(NOT_THERE))
            cache = BLOCKED_PLAYLIST
        elif stream.init is None or not stream.segments:
            await stream.wait(lambda: stream.init is not None and bool(stream.segments), FIRST_PART_WAIT_S)
        if stream.init is None:
            raise MediaError(404, "the host is live but no keyframe has arrived yet", _headers(NOT_THERE))
        if server.hls.get(room_id) is not stream:  # a new session began while this request waited
            stream = server.hls[room_id]
        return web.Response(
            text=stream.playlist(), content_type=PLAYLIST, headers=_headers(cache), charset="utf-8"
        )

    async def media(request: web.Request) -> web.StreamResponse:
        stream = stream_of(request.match_info["room"])
        match = NAME.match(request.match_info["name"])
        if match is None or match["gen"] != stream.generation:
            raise MediaError(
                404, "no such HLS file (an earlier session's, or never written)", _headers(NOT_THERE)
            )
        if match["init"]:
            if stream.init is None:
                await stream.wait(lambda: stream.init is not None, FIRST_PART_WAIT_S)
            if stream.init is None:
                raise MediaError(404, "no init segment yet", _headers(NOT_THERE))
            return web.Response(body=stream.init, content_type=MEDIA, headers=_headers(IMMUTABLE))
        msn = int(match["msn"])
        index = int(match["part"]) if match["part"] is not None else None

        def ready() -> bool:
            if index is not None:
                return stream.part(msn, index) is not None or stream.has(msn, None)
            return stream.has(msn, None)

        if not ready() and stream.upcoming(msn, index):
            limit = (
                4 * (stream.settings.part_s or stream.settings.segment_s) + 1
                if index is not None
                else 3 * stream.target_duration()
            )
            await stream.wait(ready, limit)
        if index is not None:
            found = stream.part(msn, index)
            if found is None:
                raise MediaError(404, "no such part", _headers(NOT_THERE))
            return web.Response(body=found.data, content_type=MEDIA, headers=_headers(IMMUTABLE))
        segment = stream.segment(msn)
        if segment is None or not segment.complete:
            raise MediaError(404, "no such segment", _headers(NOT_THERE))
        return web.Response(body=segment.data, content_type=MEDIA, headers=_headers(IMMUTABLE))

    r = app.router
    r.add_get("/hls/{room}/index.m3u8", guarded(playlist, refused), name="hls_playlist")
    r.add_get("/hls/{room}/{name}", guarded(media, refused), name="hls_media")
