"""How instances serving the same room hear each other: in-process, or Redis pub/sub.

Every instance applies its own ops at once and publishes them; the bus hands other
instances' ops to `on_ops`. An instance ignores what it published itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

OpsHandler = Callable[[str, str, list[dict[str, Any]]], Awaitable[None]]  # room, origin, ops
CHANNEL_PREFIX = "liveroom:room:"


class Bus(Protocol):
    async def start(self, on_ops: OpsHandler) -> None: ...

    async def publish(self, room_id: str, origin: str, ops: list[dict[str, Any]]) -> None: ...

    async def close(self) -> None: ...


class LocalBus:
    """One process, no peers: publishing has no one else to reach."""

    async def start(self, on_ops: OpsHandler) -> None:
        return None

    async def publish(self, room_id: str, origin: str, ops: list[dict[str, Any]]) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus:
    """Redis pub/sub on `liveroom:room:{room}`; one subscriber task per process."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.url = url
        self._redis = redis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.received = 0

    async def start(self, on_ops: OpsHandler) -> None:
        await self._redis.ping()  # fail at start-up, not at the first message
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(CHANNEL_PREFIX + "*")
        self._task = asyncio.create_task(self._listen(pubsub, on_ops), name="redis-bus")

    async def _listen(self, pubsub: Any, on_ops: OpsHandler) -> None:
        try:
            while True:
                try:
                    message = await pubsub.get_message(timeout=1.0)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("redis bus: receive failed; retrying")
                    await asyncio.sleep(1.0)
                    continue
                if message is None or message.get("type") != "pmessage":
                    continue
                channel = (
                    message["channel"].decode()
                    if isinstance(message["channel"], bytes)
                    else message["channel"]
                )
                try:
                    envelope = json.loads(message["data"])
                    await on_ops(channel[len(CHANNEL_PREFIX) :], envelope["origin"], envelope["ops"])
                    self.received += 1
                except Exception:
                    log.exception("redis bus: bad or failing envelope on %s", channel)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def publish(self, room_id: str, origin: str, ops: list[dict[str, Any]]) -> None:
        body = json.dumps({"origin": origin, "ops": ops}, ensure_ascii=False, separators=(",", ":"))
        try:
            await self._redis.publish(CHANNEL_PREFIX + room_id, body)
            self.published += 1
        except Exception:
            log.exception("redis bus: publish failed for room %s", room_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()


def open_bus(url: str | None) -> Bus:
    return RedisBus(url) if url else LocalBus()
