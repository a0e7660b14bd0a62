"""The composition root: one room server with every bot part, wired explicitly in one place.

Order matters only where a part starts after another: the database is migrated before the hub
starts; the FAQ bot, the alerts, the show runner, the contingency plans and the follow
invitations start after the hub (they subscribe to it). Each part is handed what it uses —
the show runner to the alerts and contingency plans, the alert outbox to the contingency plans,
the pausable parts to the team's `/pause` — and no part looks another up on the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web

from bot.alerts import service as alerts
from bot.alerts.service import AlertOptions, AlertService
from bot.app.api import BotApi
from bot.app.credentials import load_credentials
from bot.app.keys import ALERTS, CONTINGENCY, CREDENTIALS, FAQ_BOT, FOLLOW_INVITES, HOLDER, SHOW_RUNNER
from bot.app.options import RunOptions
from bot.app.roomsettings import room_settings
from bot.contingency.edge import ContingencyEdge
from bot.faq.learn import FaqTeacher
from bot.faq.llm import LlmSettings
from bot.faq.room import FaqBot
from bot.rules import Rulebook
from bot.rules.reload import RulebookHolder, watch_rules
from bot.show.follow_invite import FollowInviter
from bot.show.runner import ShowError, ShowRunner
from media.app import GUARD, HEALTH_PROVIDERS, create_app
from media.config import RoomSettings, ServerSettings
from media.hub import RoomHub
from media.i18n import CATALOGUE, t
from media.rooms import RoomDirectory
from media.rtc.restream import Restreamer
from media.rtc.routes import setup_media
from media.store.db import Database
from media.web.routes import setup_room

log = logging.getLogger(__name__)

CATALOGUE.add(
    "app", {"app.tart_failed": {"zh-CN": "无法开播 {show}：{why}", "en": "cannot start {show}: {why}"}}
)


def build_app(
    rulebook: Rulebook, settings: ServerSettings, options: RunOptions | None = None
) -> web.Application:
    """The whole server for one rules directory, ready for `web.run_app` or a test client."""
    options = options or RunOptions()
    credentials = load_credentials(rulebook, settings.data_dir)
    settings = dataclasses.replace(settings, secret=credentials.secret, signing_key=credentials.signing_key)

    def settings_of(book: Rulebook) -> RoomSettings:
        room = room_settings(book, credentials)
        return room if options.record is None else dataclasses.replace(room, record=options.record)

    rooms = RoomDirectory([settings_of(rulebook)])
    app = create_app(settings, rooms)
    holder = RulebookHolder(rulebook)
    app[HOLDER] = holder
    app[CREDENTIALS] = credentials
    holder.on_reload.append(lambda book: rooms.replace([settings_of(book)]))
    app[HEALTH_PROVIDERS].append(
        lambda: {"rulebook": {"generation": holder.generation, "errors": len(holder.errors)}}
    )
    add_task(app, lambda: watch_rules(holder, options.reload_interval))

    # The room hub (chat socket, pages, event log); the database is migrated before it starts.
    db = Database.open(settings.database_url)
    add_lifecycle(app, db.migrate, db.close)
    hub = setup_room(app, db, bus_url=settings.bus_url)
    add_media(app, hub, rooms, media_workers=options.media_workers)

    # The FAQ bot answers viewer questions in the room.
    faq_bot = add_faq_bot(app, hub, holder)
    runner = ShowRunner(hub, db, holder, clock=hub.clock, instance=hub.instance)
    # Team alerts and commands (Telegram, or the log without a token); /pause and /resume switch
    # the FAQ bot and the show's cues.
    alert_service = add_alerts(app, hub, db, holder, AlertOptions(pausables=[faq_bot, runner], show=runner))
    # The show runner, after the alerts (which hear its first cues): resumes a run in progress,
    # or starts `--start SHOW --speed X`.
    add_show_runner(app, runner, holder, options)
    # Contingency plans (应急预案): they pause and resume the runner's cues and write alerts.
    add_contingency(app, hub, holder, runner=runner, alerts=alert_service)
    # 引导关注: a private invitation to follow after `follow_invite.after` of watching.
    add_follow_invites(app, hub, holder)

    BotApi(app[GUARD], holder, runner, faq_bot, alert_service, FaqTeacher(holder)).register(app)
    return app


# -- the parts, each handed what it needs (tests build apps from some of them)


def add_media(
    app: web.Application, hub: RoomHub, rooms: RoomDirectory, *, media_workers: int = 1
) -> Restreamer:
    """WHIP ingest and WHEP playback (encoded frames forwarded, never re-encoded per viewer), with its
    Prometheus numbers in the hub's registry so one `/metrics` shows both; restream (转推) while live."""

    async def log_stream_event(room_id: str, kind: str, data: dict[str, Any]) -> None:
        # Stream events go to the event log through the hub, so alerts, contingency plans and the review see them.
        await hub.log(hub.line(await hub.room(room_id), kind, data=data))

    async def media_event(room_id: str, kind: str, data: dict[str, Any]) -> None:
        await log_stream_event(room_id, kind, data)
        await restreamer.on_event(room_id, kind, data)

    server = setup_media(
        app, rooms, on_event=media_event, media_workers=media_workers, registry=hub.metrics.registry
    )
    restreamer = Restreamer(server, rooms, notify=log_stream_event)  # restream_started / _failed
    add_lifecycle(app, None, restreamer.close)
    return restreamer


def add_faq_bot(
    app: web.Application,
    hub: RoomHub,
    holder: RulebookHolder,
    *,
    llm: LlmSettings | None = None,
    gather: float | None = None,
) -> FaqBot:
    """The LLM is used when OPENAI_API_KEY is set (or `llm` is given)."""
    faq_bot = FaqBot(hub, holder.current, llm=llm or LlmSettings.from_env(), gather=gather)
    holder.on_reload.append(faq_bot.on_reload)
    app[FAQ_BOT] = faq_bot

    async def start() -> None:
        faq_bot.start()

    add_lifecycle(app, start, faq_bot.stop)
    return faq_bot


def add_show_runner(
    app: web.Application, runner: ShowRunner, holder: RulebookHolder, options: RunOptions
) -> ShowRunner:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per wake-up is noise
    app[SHOW_RUNNER] = runner

    async def start() -> None:
        await runner.open()
        if options.start_show:
            if options.new_run:
                await runner.stop("replaced")
            try:
                await runner.start(options.start_show, speed=options.speed)
            except ShowError as exc:
                lang = holder.current.room.language
                why = t(lang, f"show.error.{exc.code}", detail=exc.detail)
                log.error(t(lang, "app.tart_failed", show=options.start_show, why=why))

    add_lifecycle(app, start, runner.close)
    return runner


def add_alerts(
    app: web.Application,
    hub: RoomHub,
    db: Database,
    holder: RulebookHolder,
    options: AlertOptions,
) -> AlertService:
    service = alerts.create_alerts(db, holder.current, options)
    holder.on_reload.append(service.on_reload)
    holder.on_failure.append(service.on_failure)
    app[HEALTH_PROVIDERS].append(service.health)
    app[ALERTS] = service
    add_context(app, lambda: alerts.running(service, hub, holder.current))
    return service


def add_contingency(
    app: web.Application,
    hub: RoomHub,
    holder: RulebookHolder,
    *,
    runner: ShowRunner | None,
    alerts: AlertService | None,
    tick_every: float = 1.0,
) -> ContingencyEdge:
    edge = ContingencyEdge(
        holder.current.room.id,
        hub,
        holder,
        runner=runner,
        outbox=alerts.outbox if alerts is not None else None,
    )
    holder.on_reload.append(edge.on_reload)
    app[CONTINGENCY] = edge
    add_context(app, lambda: edge.running(tick_every=tick_every))
    return edge


def add_follow_invites(
    app: web.Application, hub: RoomHub, holder: RulebookHolder, *, tick_every: float = 1.0
) -> FollowInviter:
    """No `follow_invite` in room.yaml: nobody is invited."""
    inviter = FollowInviter(hub, holder, tick_every=tick_every)
    holder.on_reload.append(inviter.on_reload)
    app[FOLLOW_INVITES] = inviter
    add_context(app, inviter.running)
    return inviter


# -- lifecycles on the app, in the order they are added (and stopped in reverse)


def add_context(app: web.Application, open_: Callable[[], AbstractAsyncContextManager[Any]]) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with open_():
            yield

    app.cleanup_ctx.append(lifecycle)


def add_lifecycle(
    app: web.Application,
    start: Callable[[], Awaitable[Any]] | None,
    stop: Callable[[], Awaitable[Any]] | None,
) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if start is not None:
            await start()
        yield
        if stop is not None:
            await stop()

    app.cleanup_ctx.append(lifecycle)


def add_task(app: web.Application, work: Callable[[], Awaitable[None]]) -> None:
    """A background task for the app's life, cancelled on shutdown."""

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(work())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(lifecycle)
