"""Co-host (连麦) over HTTP: the host, or the team, invites a guest and ends the guest's stream; the guest's page.

- `POST /api/media/{room}/guest` makes a new invite (replacing any earlier one) and answers
  `201 {"link": ".../guest/{room}#invite=<token>", "token": ...}`. The token rides in the link's
  fragment, which browsers never send to a server, so it stays out of access logs and Referer headers.
- `DELETE /api/media/{room}/guest` revokes the invite and ends the guest's stream: `200 {"ended": bool}`.
- `GET /guest/{room}` is the guest's page: camera and microphone pickers and 开始直播, publishing by
  WHIP with the token from the fragment into the room's guest slot; viewers see host and guest side by side.

Both API calls take a host or team session with its `X-CSRF-Token` header (the host page sends
them), or the team password as a bearer token. Errors are JSON: `{"error": code, "message": text}`.
"""

from __future__ import annotations

import json

from aiohttp import web

from media.config import RoomSettings
from media.hub.auth import TeamAuth
from media.hub.hub import RoomHub
from media.hub.pages import _room, publisher_page
from media.i18n import CATALOGUE, t
from media.server import MEDIA_SERVER, MediaServer

CATALOGUE.add(
    {
        "guest.error.unauthorized": {
            "zh-CN": "需要主播或团队登录",
            "en": "a host or team login is needed",
        },
        "guest.error.no_media": {"zh-CN": "这台服务器没有开启音视频", "en": "media is not set up here"},
    }
)


_STATUS: dict[int, type[web.HTTPException]] = {
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def _error(language: str | None, status: int, code: str, message: str | None = None) -> web.HTTPException:
    body = {"error": code, "message": message or t(language, f"guest.error.{code}")}
    return _STATUS[status](text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _api_room(request: web.Request, hub: RoomHub) -> RoomSettings:
    settings = hub.directory.get(request.match_info["room"])
    if settings is None:
        raise _error(None, 404, "unknown_room", t(None, "hub.http.unknown_room"))
    return settings


def _staff(request: web.Request, auth: TeamAuth, settings: RoomSettings) -> None:
    """A host or team session with its CSRF header, or the team's bearer token; else 401/403."""
    if auth.bearer_ok(request, settings):
        return
    session = auth.session(request, settings.id)
    if session is None:
        raise _error(settings.language, 401, "unauthorized")
    if not auth.csrf_ok(request, session, request.headers.get("X-CSRF-Token")):
        raise _error(settings.language, 403, "csrf", t(settings.language, "hub.http.csrf"))


def _media(request: web.Request, settings: RoomSettings) -> MediaServer:
    server = request.app.get(MEDIA_SERVER)
    if server is None:
        raise _error(settings.language, 404, "no_media")
    return server


async def invite_guest(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    settings = _api_room(request, hub)
    _staff(request, auth, settings)
    token = _media(request, settings).create_guest_invite(settings.id)
    page = request.app.router["guest_page"].url_for(room=settings.id)
    link = str(request.url.with_path(str(page)).with_query(None).with_fragment(f"invite={token}"))
    return web.json_response({"link": link, "token": token}, status=201)


async def end_guest(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    settings = _api_room(request, hub)
    _staff(request, auth, settings)
    ended = await _media(request, settings).end_guest(settings.id)
    return web.json_response({"ended": ended})


async def guest_page(request: web.Request, hub: RoomHub) -> web.Response:
    return publisher_page(_room(request, hub), "guest")  # the token comes from the link's fragment
