"""The show on the server: the runner's life with the app, the studio timeline and team controls.

`GET /api/show/{room}` — the timeline (run, status, now, every firing with its state, next).
`POST /api/show/{room}/{start|pause|resume|skip|fire|shift}` — JSON body `{show, speed}`,
`{cue}` or `{seconds}`. Both need the team: the studio's session cookie (POSTs also its CSRF
token in `X-CSRF-Token`) or `Authorization: Bearer <team password>`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.reload import RulebookHolder
from bot.show.runner import ShowError, ShowRunner
from media.app import ROOMS, SETTINGS
from media.hub.auth import TeamAuth
from media.hub.server import HUB
from media.i18n import CATALOGUE, t
from media.store.db import Database

if TYPE_CHECKING:
    from bot.serve import RunOptions

log = logging.getLogger(__name__)

SHOW_RUNNER = web.AppKey("show_runner", ShowRunner)

CATALOGUE.add(
    {
        "show.error.unknown_show": {"zh-CN": "没有这场直播：{detail}", "en": "no such show: {detail}"},
        "show.error.bad_speed": {"zh-CN": "速度必须大于 0", "en": "speed must be > 0"},
        "show.error.another_show_running": {
            "zh-CN": "另一场直播（{detail}）正在进行，先结束它",
            "en": "another show ({detail}) is running; end it first",
        },
        "show.error.no_show": {"zh-CN": "现在没有正在进行的直播", "en": "no show is running"},
        "show.error.show_paused": {"zh-CN": "直播已暂停", "en": "the show is paused"},
        "show.error.show_running": {
            "zh-CN": "直播正在进行，没有暂停",
            "en": "the show is running, not paused",
        },
        "show.error.show_ended": {"zh-CN": "这场直播已结束", "en": "the show has ended"},
        "show.error.unknown_cue": {"zh-CN": "没有这个提示：{detail}", "en": "no such cue: {detail}"},
        "show.error.nothing_to_fire": {
            "zh-CN": "没有待执行的提示 {detail}",
            "en": "nothing left to fire {detail}",
        },
        "show.error.bad_request": {"zh-CN": "请求格式不对：{detail}", "en": "bad request: {detail}"},
        "show.error.unknown_room": {"zh-CN": "没有这个直播间", "en": "no such room"},
        "show.error.forbidden": {"zh-CN": "需要团队登录", "en": "team login required"},
        "show.start_failed": {"zh-CN": "无法开播 {show}：{why}", "en": "cannot start {show}: {why}"},
    }
)


def setup_show(app: web.Application, holder: RulebookHolder, db: Database, options: RunOptions) -> ShowRunner:
    """The room's show runner; it opens after the hub has started (call after `setup_room`)."""
    hub = app[HUB]
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per wake-up is noise
    runner = ShowRunner(hub, db, holder, clock=hub.clock, instance=hub.instance)
    app[SHOW_RUNNER] = runner
    auth = TeamAuth(app[SETTINGS].secret)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await runner.open()
        if options.start_show:
            try:
                await runner.start(options.start_show, speed=options.speed)
            except ShowError as exc:
                lang = holder.current.room.language
                why = t(lang, f"show.error.{exc.code}", detail=exc.detail)
                log.error(t(lang, "show.start_failed", show=options.start_show, why=why))
        yield
        await runner.close()

    app.cleanup_ctx.append(lifecycle)

    async def timeline(request: web.Request) -> web.Response:
        _check(request, auth, runner, post=False)
        return web.json_response(await runner.timeline())

    async def control(request: web.Request) -> web.Response:
        _check(request, auth, runner, post=True)
        action = request.match_info["action"]
        try:
            body = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise _error(runner, 400, "bad_request", "JSON object")
        try:
            result = await _act(runner, action, body)
        except ShowError as exc:
            raise _error(runner, 409, exc.code, exc.detail) from None
        except (TypeError, ValueError) as exc:
            raise _error(runner, 400, "bad_request", str(exc)) from None
        return web.json_response({"ok": True, **result, "show": await runner.timeline()})

    app.router.add_get("/api/show/{room}", timeline)
    app.router.add_post("/api/show/{room}/{action:start|pause|resume|skip|fire|shift}", control)
    return runner


async def _act(runner: ShowRunner, action: str, body: dict[str, Any]) -> dict[str, Any]:
    if action == "start":
        row = await runner.start(str(body["show"]), speed=float(body.get("speed", 1.0)))
        return {"run_id": row.id}
    if action == "pause":
        await runner.pause()
        return {}
    if action == "resume":
        await runner.resume()
        return {}
    if action == "skip":
        return {"skipped": await runner.skip(str(body["cue"]))}
    if action == "fire":
        cue = body.get("cue")
        return {"fired": await runner.fire_now(str(cue) if cue is not None else None)}
    return {"shifted": await runner.shift(float(body["seconds"]))}


_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
}


def _error(runner: ShowRunner, status: int, code: str, detail: str = "") -> web.HTTPException:
    lang = runner.rulebook.room.language
    body = json.dumps(
        {"ok": False, "error": code, "message": t(lang, f"show.error.{code}", detail=detail)},
        ensure_ascii=False,
    )
    return _STATUS[status](text=body, content_type="application/json")


def _check(request: web.Request, auth: TeamAuth, runner: ShowRunner, *, post: bool) -> None:
    room_id = request.match_info["room"]
    settings = request.app[ROOMS].get(room_id)
    if settings is None or room_id != runner.room_id:
        raise _error(runner, 404, "unknown_room")
    if not auth.is_team(request, settings, write=post):
        raise _error(runner, 403, "forbidden")
