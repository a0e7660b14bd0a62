"""The sender: takes the outbox in order to the team chat, paced, merged into digests, retried.

Delivery is at-least-once at the Bot API boundary: an alert is marked sent right after the
API confirms the message that carries it. A crash between the two (a few milliseconds)
or a confirmation lost on the network (a timeout) means the message goes again after a
restart; its tags (`#a…`) make such a repeat visible. The Bot API offers no idempotent send,
so nothing on our side can close that window completely.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.alerts.digest import Pacer, compose
from bot.alerts.outbox import Outbox, Queued

log = logging.getLogger(__name__)

# Sent after the base gap only, never held back while alerts pile up: critical alerts, and the replies
# to team commands (someone in the group is waiting for them).
URGENT = ("critical", "reply")


class Channel(Protocol):
    """Where alert messages end up. `deliver` returns once the message is accepted, or raises."""

    name: str

    async def deliver(self, text: str) -> None: ...


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, chat_id: int | str) -> None:
        self.bot = bot
        self.chat_id = chat_id

    async def deliver(self, text: str) -> None:
        await self.bot.send_message(
            chat_id=self.chat_id, text=text, link_preview_options=LinkPreviewOptions(is_disabled=True)
        )


class LogChannel:
    """No Telegram configured: alerts go to the log (and stay listed for the studio)."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("liveroom.alerts")

    async def deliver(self, text: str) -> None:
        self.logger.warning("告警 alert: %s", text)


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` as seconds, whether PTB gives an int or (with PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@dataclass
class Backoff:
    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    current: float = 0.0

    def next(self) -> float:
        self.current = self.first if self.current == 0 else min(self.cap, self.current * self.factor)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class Sender:
    def __init__(
        self,
        outbox: Outbox,
        channel: Channel,
        *,
        lang: str = "zh-CN",
        pacer: Pacer | None = None,
        backoff: Backoff | None = None,
        poll_every: float = 1.0,
        tz: dt.tzinfo | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.outbox = outbox
        self.channel = channel
        self.lang = lang
        self.pacer = pacer or Pacer()
        self.backoff = backoff or Backoff()
        self.poll_every = poll_every
        self.tz = tz
        self.clock = clock
        self.sleep = sleep
        self.delivered_unmarked: list[Queued] = []  # confirmed by the API, database write failed
        self.last_error: str | None = None
        self.messages_sent = 0

    async def run(self) -> None:
        """Deliver forever (cancel to stop). A failure never ends the loop."""
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug or a database hiccup must not stop alerts for the rest of the show
                log.exception("alert sender step failed")
                await self.sleep(self.backoff.next())

    async def step(self) -> None:
        """Wait for work and a slot, then send one message (a single alert or a digest)."""
        if self.delivered_unmarked:
            await self.outbox.mark_sent(self.delivered_unmarked)
            self.delivered_unmarked = []
        self.outbox.changed.clear()  # before reading, so an alert queued meanwhile wakes us
        items = await self.outbox.pending()
        if not items:
            await self._wait_for_work()
            return
        delay = self.pacer.wait(self.clock(), urgent=any(i.severity in URGENT for i in items))
        if delay > 0:
            # Re-read after waiting: what piled up meanwhile goes out in the same digest.
            await self.sleep(delay)
            return
        text, count = compose(items, self.lang, tz=self.tz)
        carried = items[:count]
        try:
            await self.channel.deliver(text)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            self._failed(f"429 retry_after={wait:g}")
            await self.outbox.mark_failed(carried, f"429 retry_after={wait:g}")
            await self.sleep(wait)
            return
        except TelegramError as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._failed(error)
            await self.outbox.mark_failed(carried, error)
            await self.sleep(self.backoff.next())
            return
        self.pacer.record(self.clock(), count)
        self.messages_sent += 1
        self.backoff.reset()
        if self.last_error is not None:
            log.info("告警恢复发送 alerts are going out again (%s)", self.channel.name)
            self.last_error = None
        try:
            await self.outbox.mark_sent(carried)
        except Exception:
            # The message is out: never send it again from this process; mark it on the next step.
            self.delivered_unmarked = list(carried)
            raise

    def _failed(self, error: str) -> None:
        if self.last_error is None:
            log.warning("告警发送失败，稍后重试 alert delivery failed, will retry: %s", error)
        self.last_error = error

    async def _wait_for_work(self) -> None:
        try:
            await asyncio.wait_for(self.outbox.changed.wait(), self.poll_every)
        except TimeoutError:
            pass


async def reply_in_chat(bot: Bot, chat_id: int, text: str, to_message_id: int, failed: str) -> None:
    """`text` in the chat as a reply quoting message `to_message_id` (sent even if that message is
    gone); a Telegram failure is logged (`failed`: what could not be done), never raised."""
    try:
        await bot.send_message(
            chat_id=chat_id,
            text=text,
            reply_parameters=ReplyParameters(message_id=to_message_id, allow_sending_without_reply=True),
        )
    except TelegramError as exc:
        log.warning("%s: %s", failed, exc)
