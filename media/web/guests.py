"""Co-host (连麦) and stream health over HTTP: the host, or the team, invites a guest and ends the guest's stream; the guest's page.

- `POST /api/media/{room}/guest` makes a new invite (replacing any earlier one) and answers
  `201 {"link": ".../guest/{room}#invite=<token>", "token": ...}`. The token rides in the link's
  fragment, which browsers never send to a server, so it stays out of access logs and Referer headers.
- `DELETE /api/media/{room}/guest` revokes the invite and ends the guest's stream: `200 {"ended": bool}`.
- `GET /guest/{room}` is the guest's page: camera and microphone pickers and 开始直播, publishing by
  WHIP with the token from the fragment into the room's guest slot; viewers see host and guest side by side.

Both API calls take a host or team session with its `X-CSRF-Token` header (the host page sends
them), or the team password as a bearer token (`ApiGuard.staff_only`); errors are the API's JSON shape.
`GET /api/media/{room}/health` is the team's: the latest stream health snapshot.
"""

from __future__ import annotations

from aiohttp import web

from media.app import HUB, MEDIA_SERVER
from media.config import RoomSettings
from media.hub.hub import RoomHub
from media.rtc.server import MediaServer
from media.web.api import refuse
from media.web.pages import _room, publisher_page


def _media(request: web.Request, settings: RoomSettings) -> MediaServer:
    server = request.app.get(MEDIA_SERVER)
    if server is None:
        raise refuse(settings.language, 404, "no_media")
    return server


async def invite_guest(request: web.Request, settings: RoomSettings) -> web.Response:
    token = _media(request, settings).create_guest_invite(settings.id)
    page = request.app.router["guest_page"].url_for(room=settings.id)
    link = str(request.url.with_path(str(page)).with_query(None).with_fragment(f"invite={token}"))
    return web.json_response({"link": link, "token": token}, status=201)


async def end_guest(request: web.Request, settings: RoomSettings) -> web.Response:
    ended = await _media(request, settings).end_guest(settings.id)
    return web.json_response({"ended": ended})


async def stream_health(request: web.Request, settings: RoomSettings) -> web.Response:
    """`GET /api/media/{room}/health` (team): the room's latest stream health snapshot, and how the
    viewers on this process watch (`playback`: counts by path, as their players report it)."""
    snapshot = dict(_media(request, settings).health(settings.id))
    hub = request.app.get(HUB)
    if hub is not None:
        snapshot["playback"] = hub.playback_counts(settings.id)
    return web.json_response(snapshot)


async def stream_live(request: web.Request, settings: RoomSettings) -> web.Response:
    """`GET /api/media/{room}/live` (host or team): `{"live": bool}`, whether the room's video is on air —
    what the host's teleprompter says, however the host publishes (this page, OBS, ffmpeg)."""
    return web.json_response({"live": bool(_media(request, settings).health(settings.id).get("live"))})


async def guest_page(request: web.Request, hub: RoomHub) -> web.Response:
    return publisher_page(_room(request, hub), "guest")  # the token comes from the link's fragment
