"""Telegram settings from the environment, the Bot object, and the check made at startup.

A bad token or an unknown chat is found here, with getMe and getChat, and said plainly;
alerts then go to the log and the studio instead of failing mid-show. Telegram being
unreachable, answering 429 or sending a reply this version cannot read is not a setup error:
alerts wait in the outbox, and the check is made again in the background until it passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError
from telegram.request import HTTPXRequest

from media.i18n import CATALOGUE, t

DEFAULT_API_BASE = "https://api.telegram.org"

CATALOGUE.add(
    "alerts.startup",
    {
        "alerts.startup.no_token": {
            "zh-CN": "未设置 TELEGRAM_BOT_TOKEN：告警只写入日志和中控台（/api/alerts），团队命令不可用",
            "en": "TELEGRAM_BOT_TOKEN is not set: alerts go to the log and the studio (/api/alerts) only; "
            "no team commands",
        },
        "alerts.startup.no_chat": {
            "zh-CN": "未设置 TELEGRAM_CHAT_ID（或 room.yaml 的 team.telegram_chat_id）：告警只写入日志和中控台",
            "en": "TELEGRAM_CHAT_ID (or team.telegram_chat_id in room.yaml) is not set: "
            "alerts go to the log and the studio only",
        },
        "alerts.startup.bad_token": {
            "zh-CN": "Telegram 拒绝了 TELEGRAM_BOT_TOKEN（{error}）：告警改为只写入日志和中控台",
            "en": "Telegram rejected TELEGRAM_BOT_TOKEN ({error}): alerts go to the log and the studio only",
        },
        "alerts.startup.bad_chat": {
            "zh-CN": "找不到团队群 TELEGRAM_CHAT_ID={chat_id}，或机器人不在群里（{error}）：告警改为只写入日志和中控台",
            "en": "team chat TELEGRAM_CHAT_ID={chat_id} not found or the bot is not in it ({error}): "
            "alerts go to the log and the studio only",
        },
        "alerts.startup.unreachable": {
            "zh-CN": "暂时连不上 Telegram（{base}：{error}）：告警先存在发件箱里，连上后按顺序补发",
            "en": "Telegram is not reachable for now ({base}: {error}): alerts wait in the outbox and go out "
            "in order once it is back",
        },
        "alerts.startup.retrying": {
            "zh-CN": "Telegram 启动检查没有通过（{error}）：后台继续重试，告警先存在发件箱里，Telegram 恢复后按顺序补发",
            "en": "the Telegram check at startup did not pass ({error}): retrying in the background; alerts "
            "wait in the outbox and go out in order once Telegram answers",
        },
        "alerts.startup.ok": {
            "zh-CN": "Telegram 已连接：@{bot} → 团队群「{chat}」",
            "en": "Telegram connected: @{bot} → team chat “{chat}”",
        },
    },
)


@dataclass(frozen=True)
class TelegramSettings:
    token: str | None
    chat_id: int | None
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, env: Mapping[str, str], room_chat_id: int | None = None) -> TelegramSettings:
        """`TELEGRAM_BOT_TOKEN`, `TELEGRAM_API_BASE`, and the chat: room.yaml's, else `TELEGRAM_CHAT_ID`."""
        chat_id = room_chat_id
        raw = (env.get("TELEGRAM_CHAT_ID") or "").strip()
        if chat_id is None and raw:
            try:
                chat_id = int(raw)
            except ValueError:
                chat_id = None
        base = (env.get("TELEGRAM_API_BASE") or DEFAULT_API_BASE).strip().rstrip("/")
        return cls((env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None, chat_id, base)


@dataclass
class TelegramClient:
    """A python-telegram-bot `Bot` and its two connection pools (sends, long polling), closed together."""

    bot: Bot
    requests: tuple[HTTPXRequest, HTTPXRequest]

    async def close(self) -> None:
        await asyncio.gather(*(r.shutdown() for r in self.requests))


def open_bot(settings: TelegramSettings, *, poll_timeout: float = 30.0) -> TelegramClient:
    """A `Bot` on `TELEGRAM_API_BASE`; sends and long polling use separate pools."""
    if not settings.token:
        raise ValueError("no TELEGRAM_BOT_TOKEN")
    sends = HTTPXRequest(connection_pool_size=4, connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0)
    polls = HTTPXRequest(
        connection_pool_size=1, connect_timeout=5.0, read_timeout=poll_timeout + 10.0, write_timeout=10.0
    )
    bot = Bot(settings.token, base_url=f"{settings.api_base}/bot", request=sends, get_updates_request=polls)
    return TelegramClient(bot, (sends, polls))


@dataclass(frozen=True)
class StartupReport:
    """What startup found. `mode` "log" means alerts go to the log and the studio only."""

    mode: Literal["telegram", "log"]
    message: str
    problem: bool
    bot_username: str | None = None
    chat_title: str | None = None
    notes: list[str] = field(default_factory=list)
    retry: bool = False  # not a setup error: check again later (429, unreachable, an odd reply)


async def check_telegram(settings: TelegramSettings, bot: Bot | None, lang: str = "zh-CN") -> StartupReport:
    """getMe (is the token good?) then getChat (is the group there, is the bot in it?)."""
    if not settings.token or bot is None:
        return StartupReport("log", t(lang, "alerts.startup.no_token"), problem=False)
    if settings.chat_id is None:
        return StartupReport("log", t(lang, "alerts.startup.no_chat"), problem=True)
    # Only a token Telegram rejects, or a chat it says is not there, is a setup error (alerts to the
    # log). A 429, an outage or a reply this version cannot read is checked again in the background.
    try:
        me = await bot.get_me()
    except InvalidToken as exc:
        return StartupReport("log", t(lang, "alerts.startup.bad_token", error=_short(exc)), problem=True)
    except NetworkError as exc:  # TimedOut too
        return _unreachable(settings, exc, lang)
    except Exception as exc:  # RetryAfter (429), a 5xx, an odd reply
        return _retrying(exc, lang)
    try:
        chat = await bot.get_chat(settings.chat_id)
        title = chat.title or chat.full_name or str(chat.id)
    except (BadRequest, Forbidden) as exc:
        message = t(lang, "alerts.startup.bad_chat", chat_id=settings.chat_id, error=_short(exc))
        return StartupReport("log", message, problem=True, bot_username=me.username)
    except NetworkError as exc:
        return _unreachable(settings, exc, lang)
    except Exception as exc:  # RetryAfter, or a reply missing fields (TypeError, KeyError …)
        return _retrying(exc, lang)
    return StartupReport(
        "telegram",
        t(lang, "alerts.startup.ok", bot=me.username, chat=title),
        problem=False,
        bot_username=me.username,
        chat_title=title,
    )


def _unreachable(settings: TelegramSettings, exc: Exception, lang: str) -> StartupReport:
    message = t(lang, "alerts.startup.unreachable", base=settings.api_base, error=_short(exc))
    return StartupReport("telegram", message, problem=True, retry=True)


def _retrying(exc: Exception, lang: str) -> StartupReport:
    error = f"{type(exc).__name__}: {_short(exc)}"
    return StartupReport(
        "telegram", t(lang, "alerts.startup.retrying", error=error), problem=True, retry=True
    )


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:200]
