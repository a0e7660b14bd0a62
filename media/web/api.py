"""The JSON API's one error shape and one team guard, for every `/api/…` route of media and the bot.

Every refusal is `{"error": code, "message": text}` (the text in the room's language) with
401 for "who are you" (no or wrong credentials) and 403 for "not allowed" (signed in, but not
as the team, or a write without its CSRF token); unknown rooms are 404. `json_errors` gives
aiohttp's own refusals (404 no route, 405 wrong method, 413 body too large) and any crash the
same shape on `/api/` paths.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from media.config import RoomSettings
from media.i18n import CATALOGUE, t
from media.rooms import RoomDirectory
from media.web.auth import TeamAuth, TooManyFailures

log = logging.getLogger(__name__)

CATALOGUE.add(
    "api.error",
    {
        "api.error.unauthorized": {
            "zh-CN": "需要登录：团队密码（Bearer）或中控台登录",
            "en": "sign-in needed: the team password (Bearer) or a studio session",
        },
        "api.error.forbidden": {"zh-CN": "需要团队登录", "en": "team login required"},
        "api.error.staff_only": {"zh-CN": "需要主播或团队登录", "en": "a host or team login is needed"},
        "api.error.csrf": {
            "zh-CN": "请求来源无效，请刷新页面",
            "en": "Invalid request origin; reload the page",
        },
        "api.error.unknown_room": {"zh-CN": "没有这个直播间", "en": "No such room"},
        "api.error.not_found": {"zh-CN": "没有这个接口", "en": "No such endpoint"},
        "api.error.method_not_allowed": {"zh-CN": "不支持这个请求方法", "en": "Method not allowed"},
        "api.error.too_large": {"zh-CN": "请求体太大", "en": "Request body too large"},
        "api.error.bad_request": {"zh-CN": "请求格式不对：{detail}", "en": "bad request: {detail}"},
        "api.error.bad_signature": {"zh-CN": "签名无效", "en": "Bad signature"},
        "api.error.too_many_new_viewers": {
            "zh-CN": "同一网络新进入的观众太多，请一分钟后再试",
            "en": "Too many new viewers from one network; try again in a minute",
        },
        "api.error.too_many_failures": {
            "zh-CN": "密码或令牌错误次数太多，请 {seconds} 秒后再试",
            "en": "Too many wrong passwords or tokens; try again in {seconds} s",
        },
        "api.error.unknown_product": {
            "zh-CN": "这个直播间没有商品“{sku}”",
            "en": "this room has no product '{sku}'",
        },
        "api.error.no_media": {"zh-CN": "这台服务器没有开启音视频", "en": "media is not set up here"},
        "api.error.internal": {"zh-CN": "服务器内部错误，请重试", "en": "Internal error, please retry"},
    },
)

_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    405: web.HTTPMethodNotAllowed,
    409: web.HTTPConflict,
    413: web.HTTPRequestEntityTooLarge,
    429: web.HTTPTooManyRequests,
    500: web.HTTPInternalServerError,
    503: web.HTTPServiceUnavailable,
}

_BY_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
_BY_STATUS[413] = "too_large"


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": code, "message": message}, ensure_ascii=False)


def api_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.HTTPException:
    """An HTTP exception carrying the one error shape; raise it from any API handler."""
    kind = _STATUS[status]
    if kind is web.HTTPMethodNotAllowed:
        return web.HTTPMethodNotAllowed(
            "", [], text=error_body(code, message), content_type="application/json", headers=headers
        )
    return kind(text=error_body(code, message), content_type="application/json", headers=headers)


def refuse(language: str | None, status: int, code: str, **params: object) -> web.HTTPException:
    """`api_error` with the catalogue's `api.error.<code>` text."""
    return api_error(status, code, t(language, f"api.error.{code}", **params))


def too_many_failures(language: str | None, exc: TooManyFailures) -> web.HTTPException:
    """429 for a client in its credential backoff, with `Retry-After`."""
    message = t(language, "api.error.too_many_failures", seconds=exc.retry_after)
    return api_error(429, "too_many_failures", message, headers={"Retry-After": exc.retry_after})


TeamHandler = Callable[[web.Request, RoomSettings], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ApiGuard:
    """Who may call an API route of a room: `team_only` or `staff_only` wrap a handler."""

    auth: TeamAuth
    rooms: RoomDirectory

    def room(self, request: web.Request) -> RoomSettings:
        settings = self.rooms.get(request.match_info.get("room", ""))
        if settings is None:
            raise refuse(None, 404, "unknown_room")
        return settings

    def check(self, request: web.Request, settings: RoomSettings, *, host_too: bool = False) -> None:
        """The team password as a bearer token, or a session (team, or host with `host_too`);
        a request that changes something also needs the session's `X-CSRF-Token`."""
        lang = settings.language
        try:
            if self.auth.bearer_ok(request, settings):
                return
        except TooManyFailures as exc:
            raise too_many_failures(lang, exc) from None
        session = self.auth.session(request, settings.id)
        if session is None:
            message = t(lang, "api.error.staff_only" if host_too else "api.error.unauthorized")
            raise api_error(401, "unauthorized", message)
        if session.role != "team" and not host_too:
            raise refuse(lang, 403, "forbidden")
        if request.method not in ("GET", "HEAD") and not self.auth.csrf_ok(
            request, session, request.headers.get("X-CSRF-Token")
        ):
            raise refuse(lang, 403, "csrf")

    def team_only(self, handler: TeamHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        return self._wrap(handler, host_too=False)

    def staff_only(self, handler: TeamHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The host or the team."""
        return self._wrap(handler, host_too=True)

    def _wrap(
        self, handler: TeamHandler, *, host_too: bool
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            settings = self.room(request)
            self.check(request, settings, host_too=host_too)
            return await handler(request, settings)

        guarded.__name__ = getattr(handler, "__name__", "guarded")
        guarded.guard = "staff" if host_too else "team"  # type: ignore[attr-defined]  # read by the route test
        return guarded


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """On `/api/` paths, aiohttp's plain-text refusals and any crash answer in the one JSON shape."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        code = _BY_STATUS.get(exc.status, "bad_request")
        message = t(None, f"api.error.{code}", detail=exc.reason)
        raise api_error(exc.status, code, message) from None
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        raise refuse(None, 500, "internal") from None
