"""Team commands from the Telegram group: parse (pure) → `Command`, then act through small Protocols.

Only messages from the team chat count; anything else is logged and ignored. Long polling
with `getUpdates`; a 409 (another poller on the same token) is reported and retried.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Bot, Message, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.alerts.rules import RoomAlerts
from bot.alerts.sender import Backoff, reply_in_chat
from media.i18n import CATALOGUE, t

log = logging.getLogger(__name__)

CATALOGUE.add(
    "alerts.cmd",
    {
        "alerts.cmd.help": {
            "zh-CN": "可用命令：/status /pause /resume /say 文字 /answer 编号 文字 /next /start [场次] /report",
            "en": "Commands: /status /pause /resume /say TEXT /answer N TEXT /next /start [SHOW] /report",
        },
        "alerts.cmd.usage_say": {"zh-CN": "用法：/say 要发的文字", "en": "usage: /say TEXT"},
        "alerts.cmd.usage_answer": {"zh-CN": "用法：/answer 编号 回答", "en": "usage: /answer N TEXT"},
        "alerts.cmd.unavailable": {
            "zh-CN": "现在用不了：{what} 没有运行",
            "en": "not available: {what} is not running",
        },
        "alerts.cmd.failed": {"zh-CN": "没做成：{error}", "en": "failed: {error}"},
        "alerts.cmd.said": {"zh-CN": "已在直播间发出：{text}", "en": "posted in the room: {text}"},
        "alerts.cmd.answered": {"zh-CN": "已回复问题 #{number}", "en": "answered question #{number}"},
        "alerts.cmd.paused": {
            "zh-CN": "机器人已暂停（不回复、不执行提示）",
            "en": "bot paused (no replies, no cues)",
        },
        "alerts.cmd.resumed": {"zh-CN": "机器人已恢复", "en": "bot resumed"},
        "alerts.cmd.fired": {"zh-CN": "已执行下一个提示：{cue}", "en": "fired the next cue: {cue}"},
        "alerts.cmd.started": {"zh-CN": "开播：{show}", "en": "show started: {show}"},
        "alerts.cmd.no_show": {"zh-CN": "没有可开播的场次", "en": "no show to start"},
        "alerts.cmd.status": {
            "zh-CN": "在线 {online} 人，峰值 {peak}\n当前环节：{segment}\n下一个提示：{next_cue}\n推流：{stream}\n"
            "等人工回答：{waiting}",
            "en": "Online {online}, peak {peak}\nSegment: {segment}\nNext cue: {next_cue}\nStream: {stream}\n"
            "Waiting questions: {waiting}",
        },
        "alerts.cmd.stream_live": {
            "zh-CN": "正常（{bitrate} kbps，{fps} fps）",
            "en": "live ({bitrate} kbps, {fps} fps)",
        },
        "alerts.cmd.stream_live_unknown": {"zh-CN": "在推流", "en": "live"},
        "alerts.cmd.stream_off": {"zh-CN": "未推流", "en": "not live"},
        "alerts.cmd.none": {"zh-CN": "无", "en": "none"},
        "alerts.cmd.waiting": {
            "zh-CN": "{count} 个（最早 #{number}，等了 {wait}）",
            "en": "{count} (oldest #{number}, {wait})",
        },
        "alerts.cmd.report": {
            "zh-CN": "本场到目前：在线 {online}，峰值 {peak}，观众 {unique_viewers}\n商品点击 {clicks}（点击率 {ctr}）\n"
            "领券 {coupons_claimed}，订单 {orders}，成交额 ¥{gmv}",
            "en": "This show so far: online {online}, peak {peak}, viewers {unique_viewers}\n"
            "{clicks} product clicks (CTR {ctr})\n{coupons_claimed} coupons, {orders} orders, GMV ¥{gmv}",
        },
        "alerts.cmd.no_report": {"zh-CN": "现在没有在播的场次", "en": "no show is running"},
        "alerts.cmd.conflict": {
            "zh-CN": "另一个程序在用同一个机器人令牌收消息（409），团队命令收不到；请只保留一个 liveroom run",
            "en": "another program is polling with the same bot token (409); team commands cannot arrive. "
            "Keep one liveroom run only",
        },
    },
)


# -- what the team asked for (pure)


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Answer:
    number: int
    text: str


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class Start:
    show_id: str | None = None


@dataclass(frozen=True)
class Report:
    pass


@dataclass(frozen=True)
class Help:
    reason: str = "help"


Command = Status | Pause | Resume | Say | Answer | Next | Start | Report | Help


def parse_command(text: str, bot_username: str | None = None) -> Command | None:
    """The command in a message, or None when it is not one for this bot (plain chat, another bot's)."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    word, _, rest = text.partition(" ")
    if "\n" in word:
        word, _, more = word.partition("\n")
        rest = more + (" " + rest if rest else "")
    name, _, addressee = word[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    rest = rest.strip()
    match name.lower():
        case "status":
            return Status()
        case "pause":
            return Pause()
        case "resume":
            return Resume()
        case "next":
            return Next()
        case "report":
            return Report()
        case "start":
            return Start(rest.split()[0] if rest else None)
        case "say":
            return Say(rest) if rest else Help("usage_say")
        case "answer":
            number, _, answer = rest.partition(" ")
            number = number.lstrip("#")
            if not number.isdigit() or not answer.strip():
                return Help("usage_answer")
            return Answer(int(number), answer.strip())
        case _:
            return Help()


# -- what the commands act on


class WaitingLike(Protocol):
    @property
    def message_id(self) -> int: ...
    @property
    def nickname(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def ts(self) -> float: ...


class RoomOps(Protocol):
    """The room hub's operator side (media.hub.RoomHub)."""

    async def say(self, room_id: str, text: str) -> object: ...
    async def answer_question(self, room_id: str, message_id: int, text: str, by: str) -> object: ...
    def waiting_questions(self, room_id: str) -> Sequence[WaitingLike]: ...


class Pausable(Protocol):
    """The FAQ responder, the show runner: anything /pause and /resume switch."""

    def pause(self) -> object: ...
    def resume(self) -> object: ...


class ShowControl(Protocol):
    """The show runner (bot/show)."""

    def start(self, show_id: str) -> object: ...
    def fire_now(self, cue_or_key: str | None = None) -> object: ...


class LiveKpis(Protocol):
    """The current show's KPIs so far (bot/review/live.py `LiveSnapshot.as_json`), None when none runs."""

    def snapshot(self) -> Mapping[str, Any] | Awaitable[Mapping[str, Any] | None] | None: ...


async def _done(result: object) -> object:
    return await result if inspect.isawaitable(result) else result


def _minutes(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class TeamDesk:
    """Carries out team commands for one room and words the reply."""

    room_id: str
    room: RoomOps
    alerts: RoomAlerts
    pausables: Sequence[Pausable] = ()
    show: ShowControl | None = None
    kpis: LiveKpis | None = None
    clock: Callable[[], float] = lambda: 0.0
    lang: str = "zh-CN"

    def _t(self, key: str, **params: Any) -> str:
        return t(self.lang, f"alerts.cmd.{key}", **params)

    async def run(self, command: Command, by: str) -> str:
        try:
            return await self._run(command, by)
        except Exception as exc:  # the reply says what went wrong; the poller goes on
            log.warning("team command %s failed: %s", command, exc)
            return self._t("failed", error=self._why(exc))

    def _why(self, exc: Exception) -> str:
        """The words for a refusal: the show runner's and the hub's codes have catalogue texts."""
        code = getattr(exc, "code", None)
        detail = getattr(exc, "detail", "") or ""
        for prefix in ("show.error.", "hub.error."):
            if isinstance(code, str) and CATALOGUE.has(prefix + code):
                return t(self.lang, prefix + code, detail=detail)
        return str(code or exc or type(exc).__name__)

    async def _switch(self, on: bool) -> str:
        """/pause and /resume reach every part that speaks; one refusing (no show running) is fine."""
        refusals = []
        for part in self.pausables:
            try:
                await _done(part.resume() if on else part.pause())
            except Exception as exc:
                refusals.append(self._why(exc))
        if self.pausables and len(refusals) == len(self.pausables):
            return self._t("failed", error="; ".join(refusals))
        return self._t("resumed" if on else "paused")

    async def _run(self, command: Command, by: str) -> str:
        match command:
            case Status():
                return self.status()
            case Pause():
                return await self._switch(False)
            case Resume():
                return await self._switch(True)
            case Say(text=text):
                await self.room.say(self.room_id, text)
                return self._t("said", text=text)
            case Answer(number=number, text=text):
                await self.room.answer_question(self.room_id, number, text, by)
                return self._t("answered", number=number)
            case Next():
                if self.show is None:
                    return self._t("unavailable", what="show runner")
                fired = await _done(self.show.fire_now(None))
                return self._t("fired", cue=fired)
            case Start(show_id=show_id):
                if self.show is None:
                    return self._t("unavailable", what="show runner")
                show_id = show_id or self.alerts.pick_show(self.clock())
                if show_id is None:
                    return self._t("no_show")
                await _done(self.show.start(show_id))
                return self._t("started", show=show_id)
            case Report():
                if self.kpis is None:
                    return self._t("unavailable", what="live KPIs")
                snapshot = await _done(self.kpis.snapshot())
                if not isinstance(snapshot, Mapping):
                    return self._t("no_report")
                return self._t("report", **snapshot)
            case Help(reason=reason):
                return self._t(reason)

    def status(self) -> str:
        now = self.clock()
        health = self.alerts.health
        none = self._t("none")
        if health.live and health.bitrate_kbps is not None:
            stream = self._t("stream_live", bitrate=round(health.bitrate_kbps), fps=round(health.fps or 0))
        elif health.live:
            stream = self._t("stream_live_unknown")
        else:
            stream = self._t("stream_off")
        waiting = sorted(self.room.waiting_questions(self.room_id), key=lambda q: q.ts)
        waiting_words = (
            self._t(
                "waiting",
                count=len(waiting),
                number=waiting[0].message_id,
                wait=_minutes(now - waiting[0].ts),
            )
            if waiting
            else "0"
        )
        segment, next_cue = self.alerts.position(now)
        return self._t(
            "status",
            online=self.alerts.online,
            peak=self.alerts.peak,
            segment=segment or none,
            next_cue=next_cue or none,
            stream=stream,
            waiting=waiting_words,
        )


# -- the poller


def sender_name(message: Message) -> str:
    user = message.from_user
    if user is None:
        return "team"
    return user.full_name or user.username or str(user.id)


class UpdateHandler(Protocol):
    """More the team does in its chat (the suggestion cards' buttons and edited answers,
    bot/alerts/proposals.py): the reply said, or None when the update is not for it."""

    async def handle(self, update: Update) -> str | None: ...


class CommandPoller:
    """Long-polls getUpdates; acts on commands (and `extra`'s buttons) from the team chat only."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        desk: TeamDesk,
        *,
        bot_username: str | None = None,
        poll_timeout: float = 30.0,
        backoff: Backoff | None = None,
        on_problem: Callable[[str], object] | None = None,
        reply: Callable[[int, str], Awaitable[object]] | None = None,
        extra: UpdateHandler | None = None,
    ) -> None:
        """`reply(update_id, text)`: how a reply reaches the group — the alert outbox, so a 429 or an
        outage delays it instead of dropping it; without it, sent at once (and lost on failure)."""
        self.bot = bot
        self.reply = reply
        self.extra = extra
        self.chat_id = chat_id
        self.desk = desk
        self.bot_username = bot_username
        self.poll_timeout = poll_timeout
        self.backoff = backoff or Backoff(first=1.0, cap=30.0)
        self.on_problem = on_problem
        self.offset: int | None = None
        self.conflict = False
        self.ignored = 0
        self.handled = 0

    async def run(self) -> None:
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset,
                    timeout=int(self.poll_timeout),
                    allowed_updates=["message", "callback_query"],
                )
            except Conflict:
                if not self.conflict:
                    message = self.desk._t("conflict")
                    log.error("%s", message)
                    if self.on_problem is not None:
                        self.on_problem(message)
                self.conflict = True
                await asyncio.sleep(self.backoff.next())
                continue
            except (NetworkError, InvalidToken, TelegramError) as exc:
                log.debug("getUpdates failed: %s", exc)
                await asyncio.sleep(self.backoff.next())
                continue
            if self.conflict:
                log.info("getUpdates works again; team commands are back")
            self.conflict = False
            self.backoff.reset()
            for update in updates:
                self.offset = update.update_id + 1
                try:
                    await self.handle(update)
                except Exception:
                    log.exception("team command failed")

    async def handle(self, update: Update) -> str | None:
        """Act on one update; returns the reply sent, None when it was ignored."""
        query = update.callback_query
        if query is not None:
            in_team = query.message is not None and query.message.chat.id == self.chat_id
            if self.extra is None or not in_team:
                return None
            return await self.extra.handle(update)
        message = update.message
        if message is None or not message.text:
            return None
        if message.chat.id != self.chat_id:
            self.ignored += 1
            log.warning(
                "忽略了不是团队群发来的消息 ignored a message from chat %s (%s): %r",
                message.chat.id,
                sender_name(message),
                message.text[:80],
            )
            return None
        if self.extra is not None and (done := await self.extra.handle(update)) is not None:
            return done
        command = parse_command(message.text, self.bot_username)
        if command is None:
            return None
        self.handled += 1
        log.info("团队命令 team command from %s: %s", sender_name(message), command)
        reply = await self.desk.run(command, sender_name(message))
        if self.reply is not None:
            await self.reply(update.update_id, reply)
            return reply
        await reply_in_chat(
            self.bot, self.chat_id, reply, message.message_id, "could not reply to a team command"
        )
        return reply
