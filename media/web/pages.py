"""The room's pages: viewer (`/room/{room}`), studio (`/studio/{room}`, team login) and host (`/host/{room}`).

Templates are plain HTML with `$name` slots (string.Template); every value is escaped
here, and the page scripts render chat with `textContent`, never as HTML.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import web

from media.config import RoomSettings
from media.hub.hub import RoomHub
from media.hub.identity import VIEWER_COOKIE
from media.i18n import normalise_language, t
from media.rtc.turn import handed_out
from media.web.auth import SESSION_COOKIE, StaffRole, TeamAuth
from media.web.clients import client_address
from media.web.icons import ICONS
from media.web.texts import PAGE_TEXTS, page_texts, widget_texts

WEB = Path(__file__).resolve().parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
VIEWER_COOKIE_SECONDS = 365 * 24 * 3600

# The host's next cue and the studio's stream-health, run-of-show and alerts panels.
PAGE_TEXTS["host"].update({"cue_now": {"zh-CN": "现在", "en": "now"}})
PAGE_TEXTS["studio"].update(
    {
        "live": {"zh-CN": "直播中", "en": "Live"},
        "offline": {"zh-CN": "未开播", "en": "Offline"},
        "viewers_media": {"zh-CN": "观看连接", "en": "Video viewers"},
        "watch_paths": {"zh-CN": "观看方式", "en": "Watching via"},
        "path_whep": {"zh-CN": "WebRTC", "en": "WebRTC"},
        "path_sfu": {"zh-CN": "SFU", "en": "SFU"},
        "path_hls": {"zh-CN": "HLS", "en": "HLS"},
        "path_fallback": {"zh-CN": "其中回退", "en": "fell back"},
        "bitrate": {"zh-CN": "码率 kbps", "en": "Bitrate kbps"},
        "fps": {"zh-CN": "帧率", "en": "FPS"},
        "loss": {"zh-CN": "丢包率", "en": "Packet loss"},
        "resolution": {"zh-CN": "分辨率", "en": "Resolution"},
        "guest": {"zh-CN": "连麦嘉宾", "en": "Guest"},
        "show_start": {"zh-CN": "开播", "en": "Start"},
        "show_pause": {"zh-CN": "暂停", "en": "Pause"},
        "show_resume": {"zh-CN": "继续", "en": "Resume"},
        "show_skip": {"zh-CN": "跳过", "en": "Skip"},
        "show_fire": {"zh-CN": "立即触发", "en": "Fire now"},
        "next_cue": {"zh-CN": "下一个提示", "en": "Next cue"},
        "no_cue": {"zh-CN": "暂无", "en": "None"},
        "no_show": {"zh-CN": "没有进行中的直播流程", "en": "No show running"},
        "state_fired": {"zh-CN": "已执行", "en": "fired"},
        "state_late": {"zh-CN": "延迟执行", "en": "late"},
        "state_missed": {"zh-CN": "已错过", "en": "missed"},
        "state_pending": {"zh-CN": "待执行", "en": "pending"},
        "state_skipped": {"zh-CN": "已跳过", "en": "skipped"},
        "state_failed": {"zh-CN": "失败", "en": "failed"},
        "state_firing": {"zh-CN": "执行中", "en": "firing"},
        "status_idle": {"zh-CN": "未开始", "en": "idle"},
        "status_running": {"zh-CN": "进行中", "en": "running"},
        "status_paused": {"zh-CN": "已暂停", "en": "paused"},
        "status_ended": {"zh-CN": "已结束", "en": "ended"},
        "alerts": {"zh-CN": "告警", "en": "Alerts"},
        "no_alerts": {"zh-CN": "暂无告警", "en": "No alerts"},
    }
)


class TrustedHtml(str):
    """Markup this module built itself (script tags); `render` inserts it unescaped."""


def render(name: str, **values: Any) -> str:
    """Fill `media/web/templates/<name>`; `config` is embedded as JSON, `TrustedHtml` as is, everything else escaped."""
    template = Template((TEMPLATES / name).read_text(encoding="utf-8"))
    filled = {
        k: v if isinstance(v, TrustedHtml) else html.escape(str(v))
        for k, v in values.items()
        if k != "config"
    }
    if "config" in values:
        # JSON in a <script type="application/json">: keep "</script>" and friends inert.
        text = json.dumps(values["config"], ensure_ascii=False)
        filled["config"] = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return template.substitute(filled)


def optional_script(name: str) -> TrustedHtml:
    """A script tag for a file another part may add (player.js, publisher.js), only if it is there."""
    if (STATIC / name).exists():
        return TrustedHtml(f'<script src="/static/{html.escape(name)}" defer></script>')
    return TrustedHtml("")


def _room(request: web.Request, hub: RoomHub) -> RoomSettings:
    settings = hub.directory.get(request.match_info["room"])
    if settings is None:
        raise web.HTTPNotFound(text=t(None, "web.http.unknown_room"))
    return settings


def _html(
    body: str,
    status: int = 200,
    media_origins: tuple[str, ...] = (),
    image_origins: tuple[str, ...] = (),
    frame_origins: tuple[str, ...] = (),
) -> web.Response:
    """An HTML page with its security headers; `media_origins` may also be fetched and played from
    (an external SFU's WHEP endpoint, a CDN's HLS), `image_origins` shown (product pictures) and
    `frame_origins` framed (the shop's product pages in the viewer's buy sheet)."""
    response = web.Response(text=body, content_type="text/html", charset="utf-8", status=status)
    extra = "".join(" " + origin for origin in media_origins)
    images = "".join(" " + origin for origin in image_origins)
    frames = "".join(" " + origin for origin in frame_origins)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data: blob:{images}; media-src 'self' blob: mediastream:{extra}; "
        f"connect-src 'self' ws: wss:{extra}; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        f"frame-src 'self'{frames}; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _lang(settings: RoomSettings) -> str:
    return "en" if normalise_language(settings.language) == "en" else "zh-CN"


def playback_config(settings: RoomSettings) -> dict[str, Any]:
    """What player.js plays from (room.yaml `playback`; the room itself stays on liveroom)."""
    playback = settings.playback
    hls = playback.hls_url or (f"/hls/{settings.id}/index.m3u8" if settings.hls is not None else None)
    return {
        "via": playback.via,
        "whep": playback.whep_url,
        "hls": hls,
        "fallback": playback.fallback,
        "hlsScript": "/static/vendor/hls.light.min.js",
    }


def _origins(*urls: str | None) -> tuple[str, ...]:
    out = []
    for url in urls:
        if url and url.startswith(("http://", "https://")):
            scheme, _, rest = url.partition("://")
            out.append(f"{scheme}://{rest.split('/', 1)[0]}")
    return tuple(dict.fromkeys(out))


async def viewer_page(request: web.Request, hub: RoomHub) -> web.Response:
    settings = _room(request, hub)
    cookie = request.cookies.get(VIEWER_COOKIE)
    identity = hub.ids.ensure(cookie)
    if identity.token != cookie and not hub.limits.new_viewer(
        settings.id, client_address(request), settings.limits, hub.clock.time()
    ):
        raise web.HTTPTooManyRequests(
            text=t(settings.language, "web.http.too_many_new_viewers"), headers={"Retry-After": "60"}
        )
    texts = page_texts(settings.language, "room")
    config = {
        "room": settings.id,
        "title": settings.title,
        "language": _lang(settings),
        "texts": texts,
        "ice": page_ice(settings),
        "player_texts": widget_texts(settings.language, "player"),
        "playback": playback_config(settings),
        "products": cart_products(settings),
        "coupons": {c.id: {"discount": c.discount, "min_spend": c.min_spend} for c in settings.coupons},
        "timezone": settings.timezone,
    }
    response = _html(
        render(
            "room.html",
            lang=_lang(settings),
            title=settings.title,
            initial=(settings.title.strip()[:1] or "L"),
            config=config,
            player=optional_script("player.js"),
            icons=TrustedHtml(ICONS),
            **_prefixed(texts),
        ),
        media_origins=_origins(settings.playback.whep_url, settings.playback.hls_url),
        image_origins=_origins(*(p.image for p in settings.products)),
        frame_origins=_origins(*(p.link for p in settings.products)),
    )
    response.set_cookie(
        VIEWER_COOKIE,
        identity.token,
        max_age=VIEWER_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.secure,
        path="/",
    )
    return response


def page_ice(settings: RoomSettings) -> list[dict[str, Any]]:
    """The STUN servers a page may start with; TURN, with short-lived credentials, comes only with a
    session's WHIP/WHEP answer (media/rtc/turn.py), and a TURN URL without them would not even open."""
    return [{"urls": list(s.urls)} for s in handed_out(settings.ice_servers, None)]


def cart_products(settings: RoomSettings) -> list[dict[str, Any]]:
    """Every product of products.yaml for the 小黄车, numbered as the host says them (1号, 2号…), with the
    tracked link the buy sheet opens."""
    return [
        {
            "no": n,
            "sku": p.sku,
            "name": p.name,
            "price": p.price,
            "live_price": p.live_price,
            "stock": p.stock,
            "description": p.description,
            "image": p.image,
            "link": f"/go/{settings.id}/{p.sku}?src=card",
        }
        for n, p in enumerate(settings.products, start=1)
    ]


def login_page(
    settings: RoomSettings, role: StaffRole, error: str = "", status: int = 200, next_path: str = ""
) -> web.Response:
    """The sign-in form; `next_path`: a team page of this room to go back to once signed in (the replay)."""
    lang = settings.language
    return _html(
        render(
            "login.html",
            lang=_lang(settings),
            title=settings.title,
            heading=t(lang, "web.login.title" if role == "team" else "web.login.host_title"),
            label=t(lang, "web.login.password" if role == "team" else "web.login.token"),
            submit=t(lang, "web.login.submit"),
            action=f"/{'studio' if role == 'team' else 'host'}/{settings.id}/login",
            next=next_path if _returns_to(settings, next_path) else "",
            error=error,
        ),
        status=status,
    )


def _returns_to(settings: RoomSettings, path: str) -> bool:
    """Only this room's replay pages are places to send someone back to after signing in."""
    prefix = f"/replay/{settings.id}/"
    return path.startswith(prefix) and path[len(prefix) :].isdigit()


async def login(request: web.Request, hub: RoomHub, auth: TeamAuth, role: StaffRole) -> web.Response:
    settings = _room(request, hub)
    if not auth.same_origin(request):
        return login_page(settings, role, t(settings.language, "web.http.csrf"), status=403)
    client = client_address(request) or "?"
    if auth.throttled(client):
        return login_page(settings, role, t(settings.language, "web.login.throttled"), status=429)
    form = await request.post()
    given = str(form.get("password", ""))
    back = str(form.get("next", ""))
    if not auth.check_password(settings, role, given):
        auth.failed(client)
        return login_page(
            settings, role, t(settings.language, "web.login.failed"), status=401, next_path=back
        )
    page = back if role == "team" and _returns_to(settings, back) else None
    response = web.HTTPSeeOther(page or f"/{'studio' if role == 'team' else 'host'}/{settings.id}")
    auth.set_cookie(response, auth.issue(settings.id, role), secure=request.secure)
    raise response


async def logout(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    settings = _room(request, hub)
    session = auth.session(request, settings.id)
    form = await request.post()
    if session is None or not auth.csrf_ok(request, session, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text=t(settings.language, "web.http.csrf"))
    response = web.HTTPSeeOther(f"/studio/{settings.id}")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def studio_page(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    settings = _room(request, hub)
    session = auth.session(request, settings.id)
    if session is None or session.role != "team":
        return login_page(settings, "team")
    texts = page_texts(settings.language, "studio")
    config = {
        "room": settings.id,
        "language": _lang(settings),
        "csrf": session.csrf,
        "texts": texts,
        "products": cart_products(settings),
        "coupons": [
            {
                "id": c.id,
                "title": c.title,
                "link": c.link,
                "discount": c.discount,
                "min_spend": c.min_spend,
                "quantity": c.quantity,
                "valid_minutes": c.valid_minutes,
            }
            for c in settings.coupons
        ],
        "votes": [
            {
                "id": v.id,
                "question": v.question,
                "options": list(v.options),
                "duration_s": v.duration_s,
                "allow_change": v.allow_change,
                "show": v.show,
            }
            for v in settings.votes
        ],
        "lotteries": [
            {
                "id": lot.id,
                "prize": lot.prize,
                "winners": lot.winners,
                "keyword": lot.keyword,
                "window_s": lot.window_s,
                "eligibility": {
                    "min_watch_seconds": lot.min_watch_seconds,
                    "present": lot.present,
                    "require": list(lot.require),
                },
                "prize_value": lot.prize_value,
                "show": lot.show,
            }
            for lot in settings.lotteries
        ],
        "flash_sales": [
            {"title": f.title, "duration_s": f.duration_s, "sku": f.sku, "stock": f.stock, "show": f.show}
            for f in settings.flash_sales
        ],
        "timezone": settings.timezone,
    }
    return _html(
        render(
            "studio.html",
            lang=_lang(settings),
            title=settings.title,
            room=settings.id,
            config=config,
            csrf=session.csrf,
            icons=TrustedHtml(ICONS),
            **_prefixed(texts),
        ),
        image_origins=_origins(*(p.image for p in settings.products)),
    )


async def host_page(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    settings = _room(request, hub)
    session = auth.session(request, settings.id)
    if session is None or session.role != "host":
        return login_page(settings, "host")
    # The host signed in with this token; only the host's own page gets it back, to publish with.
    return publisher_page(settings, "host", csrf=session.csrf, publish_token=settings.publish_token)


def publisher_page(settings: RoomSettings, page: str, **config: Any) -> web.Response:
    """A page that publishes a camera by WHIP (`host.html`, `guest.html`): publisher.js with the room's
    STUN/TURN servers and words, plus `config`. Never cached: a publishing page may carry a token."""
    texts = page_texts(settings.language, page)
    full = {
        "room": settings.id,
        "language": _lang(settings),
        "texts": texts,
        "ice": page_ice(settings),
        "publisher_texts": widget_texts(settings.language, "publisher"),
        # HLS packages H.264 only (video is never re-encoded): where it is on, the camera sends H.264.
        "prefer_video": "H264" if settings.hls is not None else "VP8",
        **config,
    }
    response = _html(
        render(
            f"{page}.html",
            lang=_lang(settings),
            title=settings.title,
            config=full,
            publisher=optional_script("publisher.js"),
            icons=TrustedHtml(ICONS),
            **_prefixed(texts),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _prefixed(texts: dict[str, str]) -> dict[str, str]:
    return {f"t_{k}": v for k, v in texts.items()}
