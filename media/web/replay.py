"""The replay page (回放): `/replay/{room}/{run}` plays a show's recording with its chat and product
cards as they happened, in sync; `/replay/{room}/{run}/video/{n}` serves the run's n-th recording
(ranges, so the player can seek). Both for the team (the studio's sign-in). The recordings and the
run's events come from the log (`media.store.replay`); only files under the data directory's
`recordings/` are served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from media.config import RoomSettings
from media.hub.hub import RoomHub
from media.i18n import currency_sign, t
from media.store.replay import Replay, load_replay
from media.web.auth import TeamAuth
from media.web.pages import _html, _lang, _room, login_page, render
from media.web.texts import PAGE_TEXTS, page_texts

PAGE_TEXTS["replay"] = {
    "replay": {"zh-CN": "回放", "en": "Replay"},
    "run": {"zh-CN": "场次", "en": "Run"},
    "recording": {"zh-CN": "录像", "en": "Recording"},
    "show_clock": {"zh-CN": "开播后", "en": "since start"},
    "chat": {"zh-CN": "评论", "en": "Chat"},
    "product": {"zh-CN": "讲解中的商品", "en": "Product on screen"},
    "no_product": {"zh-CN": "（没有挂商品）", "en": "(no product pinned)"},
    "no_recording": {
        "zh-CN": "这场没有录像（room.yaml 里设 record: true 才会录）",
        "en": "This run has no recording (set record: true in room.yaml)",
    },
    "missing": {"zh-CN": "录像文件不在本机", "en": "The recording is not on this machine"},
    "orders": {"zh-CN": "订单", "en": "Orders"},
    "price": {"zh-CN": "原价", "en": "Price"},
    "live_price": {"zh-CN": "直播价", "en": "Live price"},
}


def _team(request: web.Request, auth: TeamAuth, settings: RoomSettings) -> bool:
    session = auth.session(request, settings.id)
    return session is not None and session.role == "team"


def _run_id(request: web.Request, settings: RoomSettings) -> int:
    text = request.match_info["run"]
    if not text.isdigit():
        raise web.HTTPNotFound(text=t(settings.language, "web.http.unknown_run"))
    return int(text)


async def _replay(request: web.Request, hub: RoomHub, settings: RoomSettings) -> Replay:
    async with hub.db.sessions() as session:
        replay = await load_replay(session, settings.id, _run_id(request, settings))
    if replay is None:
        raise web.HTTPNotFound(text=t(settings.language, "web.http.unknown_run"))
    return replay


def _served(path: str | None, recordings_dir: Path) -> Path | None:
    """The file, if it is here and inside the recordings folder (nothing else is ever served)."""
    if not path:
        return None
    file = Path(path).resolve()
    root = recordings_dir.resolve()
    return file if file.is_file() and file.is_relative_to(root) else None


async def replay_page(
    request: web.Request, hub: RoomHub, auth: TeamAuth, recordings_dir: Path
) -> web.Response:
    settings = _room(request, hub)
    if not _team(request, auth, settings):
        return login_page(settings, "team", next_path=request.path)
    replay = await _replay(request, hub, settings)
    base = f"/replay/{settings.id}/{replay.run_id}"
    recordings: list[dict[str, Any]] = [
        {
            "index": n,
            "started_at": r.started_at.timestamp(),
            "seconds": r.seconds,
            "url": f"{base}/video/{n}" if _served(r.path, recordings_dir) else None,
        }
        for n, r in enumerate(replay.recordings)
    ]
    texts = page_texts(settings.language, "replay")
    config = {
        "room": settings.id,
        "run": replay.run_id,
        "show": replay.show_id,
        "language": _lang(settings),
        "timezone": settings.timezone,
        "money": currency_sign(settings.currency),
        "texts": texts,
        "started_at": replay.started_at.timestamp(),
        "ended_at": replay.ended_at.timestamp(),
        "speed": replay.speed,
        "recordings": recordings,
        "chat": replay.chat,
        "pins": replay.pins,
        "orders": replay.orders,
        "products": {
            p.sku: {"name": p.name, "price": p.price, "live_price": p.live_price} for p in settings.products
        },
    }
    heading = f"{texts['replay']} · {replay.show_id} · {texts['run']} {replay.run_id}"
    return _html(
        render(
            "replay.html",
            lang=_lang(settings),
            title=settings.title,
            heading=heading,
            config=config,
            **{f"t_{k}": v for k, v in texts.items()},
        )
    )


async def replay_video(
    request: web.Request, hub: RoomHub, auth: TeamAuth, recordings_dir: Path
) -> web.StreamResponse:
    settings = _room(request, hub)
    if not _team(request, auth, settings):
        raise web.HTTPForbidden(text=t(settings.language, "web.http.team_only"))
    replay = await _replay(request, hub, settings)
    index = request.match_info["n"]
    if not index.isdigit() or int(index) >= len(replay.recordings):
        raise web.HTTPNotFound(text=t(settings.language, "web.http.unknown_recording"))
    file = _served(replay.recordings[int(index)].path, recordings_dir)
    if file is None:
        raise web.HTTPNotFound(text=t(settings.language, "web.http.unknown_recording"))
    response = web.FileResponse(file, headers={"Cache-Control": "private, max-age=3600"})
    response.content_type = "video/webm" if file.suffix == ".webm" else "video/x-matroska"
    return response
