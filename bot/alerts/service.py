"""Alerts in a running room: room events → rules → outbox → sender, team commands back.

`create_alerts` builds the service; `running(service, hub, book)` is its life (the composition
root enters it after the hub has started, since it subscribes to the hub).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.commands import CommandPoller, LiveKpis, Pausable, ShowControl, TeamDesk
from bot.alerts.digest import Pacer
from bot.alerts.kpis import RunKpis
from bot.alerts.outbox import Outbox
from bot.alerts.proposals import SuggestionDesk
from bot.alerts.rules import Alert, RoomAlerts, WaitingQuestion
from bot.alerts.sender import Channel, LogChannel, Sender, TelegramChannel
from bot.alerts.startup import StartupReport, TelegramClient, TelegramSettings, check_telegram, open_bot
from bot.rules import Rulebook, RuleError
from media.hub import RoomEvent, RoomHub
from media.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class AlertOptions:
    """Seams for tests and for the parts other modules provide (show runner, FAQ responder, KPIs)."""

    env: Mapping[str, str] | None = None
    clock: Callable[[], float] = time.time
    tick_every: float = 1.0
    pacer: Pacer | None = None
    poll_timeout: float = 30.0
    pausables: Sequence[Pausable] = ()
    show: ShowControl | None = None
    kpis: LiveKpis | None = None
    check_first: float = 1.0  # a Telegram start-up check that did not pass is made again after this …
    check_cap: float = 60.0  # … doubling up to this


@dataclass
class AlertService:
    room_id: str
    outbox: Outbox
    rules: RoomAlerts
    options: AlertOptions
    report: StartupReport | None = None
    sender: Sender | None = None
    poller: CommandPoller | None = None
    desk: TeamDesk | None = None
    suggestions: SuggestionDesk | None = None
    decided: asyncio.Queue[Alert] = field(default_factory=asyncio.Queue)
    db: Database | None = None

    def decide(self, alerts: Sequence[Alert]) -> None:
        """Alerts leave the (synchronous) rules in order and are stored in that order."""
        for alert in alerts:
            self.decided.put_nowait(alert)

    def on_event(self, event: RoomEvent) -> None:
        if event.room_id == self.room_id:
            self.decide(self.rules.observe(event))

    def on_reload(self, book: Rulebook) -> None:
        self.rules.configure(
            book.alerts, lang=book.room.language, shows=book.shows, products=product_names(book)
        )
        self.rules.tz = ZoneInfo(book.room.timezone)
        if self.sender is not None:
            self.sender.tz = self.rules.tz

    def on_failure(self, errors: list[RuleError]) -> None:
        lines = [e.render(self.rules.lang) for e in errors]
        event = RoomEvent(self.room_id, "rules_reload_failed", self.options.clock(), data={"errors": lines})
        self.decide(self.rules.observe(event))

    async def store_forever(self) -> None:
        while True:
            alert = await self.decided.get()
            await self._store(alert)

    async def _store(self, alert: Alert) -> None:
        for attempt in range(5):
            try:
                await self.outbox.put(alert)
                return
            except Exception:
                log.exception("could not store alert %s (attempt %d)", alert.key, attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        log.error("告警未能存入发件箱 alert lost: %s %s", alert.key, alert.text)

    async def tick_forever(self, hub: RoomHub) -> None:
        while True:
            await asyncio.sleep(self.options.tick_every)
            waiting = [
                WaitingQuestion(q.message_id, q.nickname, q.text, q.ts)
                for q in hub.waiting_questions(self.room_id)
            ]
            self.decide(self.rules.tick(self.options.clock(), waiting))

    async def queue_reply(self, update_id: int, text: str) -> None:
        """A team command's reply goes out through the outbox, paced and retried like an alert."""
        key = f"{self.room_id}:command_reply:{update_id}"
        await self.outbox.put(Alert(key, "command_reply", "reply", text, self.room_id))

    async def check_again(
        self,
        settings: TelegramSettings,
        client: TelegramClient,
        lang: str,
        on_ready: Callable[[StartupReport], None],
    ) -> None:
        """The startup check again, backing off (1 s … 60 s), until Telegram passes it: then team commands
        start; if it now says the token or the chat is wrong, alerts go to the log from then on."""
        delay = self.options.check_first
        while True:
            await asyncio.sleep(delay)
            report = await check_telegram(settings, client.bot, lang)
            if report.retry:
                delay = min(self.options.check_cap, delay * 2)
                continue
            self.report = report
            _say(report)
            if report.mode == "telegram":
                on_ready(report)
            elif self.sender is not None:
                self.sender.channel = LogChannel()
            return

    def health(self) -> dict[str, Any]:
        report = self.report
        return {
            "alerts": {
                "channel": self.sender.channel.name if self.sender else None,
                "telegram": report.message if report else None,
                "problem": report.problem if report else None,
                "last_error": self.sender.last_error if self.sender else None,
                "commands_conflict": self.poller.conflict if self.poller else None,
            }
        }


def _say(report: StartupReport) -> None:
    # `liveroom run` logs at INFO: this line is the startup's word on Telegram.
    if report.problem:
        log.error("Telegram: %s", report.message)
    elif report.mode == "log":
        log.warning("Telegram: %s", report.message)
    else:
        log.info("Telegram: %s", report.message)


def product_names(book: Rulebook) -> dict[str, str]:
    return {p.sku: p.name for p in book.products}


def create_alerts(db: Database, book: Rulebook, options: AlertOptions | None = None) -> AlertService:
    """The room's alert service over its outbox; `running(hub, book)` starts and stops it."""
    rules = RoomAlerts(
        book.room.id,
        book.alerts,
        lang=book.room.language,
        shows=book.shows,
        products=product_names(book),
        tz=ZoneInfo(book.room.timezone),  # quiet hours and the times in alerts are the room's clock
    )
    return AlertService(book.room.id, Outbox(db), rules, options or AlertOptions(), db=db)


@contextlib.asynccontextmanager
async def running(service: AlertService, hub: RoomHub, book: Rulebook) -> AsyncIterator[None]:
    """Telegram (or the log) checked and opened, the outbox stored and sent, team commands polled,
    the hub's events watched — until the `async with` ends; what was decided is stored before it does."""
    options = service.options
    env = os.environ if options.env is None else options.env
    settings = TelegramSettings.from_env(env, book.room.team.telegram_chat_id)
    client: TelegramClient | None = (
        open_bot(settings, poll_timeout=options.poll_timeout) if settings.token else None
    )
    lang = book.room.language
    report = await check_telegram(settings, client.bot if client else None, lang)
    service.report = report
    _say(report)

    channel: Channel = LogChannel()
    if report.mode == "telegram" and client is not None and settings.chat_id is not None:
        channel = TelegramChannel(client.bot, settings.chat_id)
    service.sender = Sender(
        service.outbox, channel, lang=book.room.language, pacer=options.pacer, tz=ZoneInfo(book.room.timezone)
    )
    tasks = [
        asyncio.create_task(service.store_forever(), name="alerts-store"),
        asyncio.create_task(service.tick_forever(hub), name="alerts-tick"),
        asyncio.create_task(service.sender.run(), name="alerts-send"),
    ]
    kpis = options.kpis
    if kpis is None and service.db is not None:
        kpis = RunKpis(service.db, service.room_id, lambda: service.rules.shows, options.clock)
    service.desk = TeamDesk(
        service.room_id,
        hub,
        service.rules,
        pausables=list(options.pausables),
        show=options.show,
        kpis=kpis,
        clock=options.clock,
        lang=book.room.language,
    )

    unsubscribers = []

    def start_commands(checked: StartupReport) -> None:
        assert client is not None and settings.chat_id is not None and service.desk is not None
        # Suggested questions go to the group with the bot's proposal and 发送 / 编辑 / 忽略.
        service.suggestions = SuggestionDesk(
            client.bot, settings.chat_id, service.room_id, hub, lang=book.room.language
        )
        unsubscribers.append(hub.subscribe(service.suggestions.on_event))
        tasks.append(asyncio.create_task(service.suggestions.run(), name="alerts-suggestions"))
        service.poller = CommandPoller(
            client.bot,
            settings.chat_id,
            service.desk,
            bot_username=checked.bot_username,
            poll_timeout=options.poll_timeout,
            reply=service.queue_reply,
            extra=service.suggestions,
        )
        tasks.append(asyncio.create_task(service.poller.run(), name="alerts-commands"))

    if report.mode == "telegram" and client is not None and settings.chat_id is not None:
        if report.retry:  # alerts go to Telegram (kept in the outbox until it answers); check again
            check_again = service.check_again(settings, client, lang, start_commands)
            tasks.append(asyncio.create_task(check_again, name="alerts-check-telegram"))
        else:
            start_commands(report)
    unsubscribers.append(hub.subscribe(service.on_event))
    try:
        yield
    finally:
        for unsubscribe in unsubscribers:
            unsubscribe()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        while not service.decided.empty():  # decided but not yet stored: store before leaving
            await service._store(service.decided.get_nowait())
        if client is not None:
            await client.close()
