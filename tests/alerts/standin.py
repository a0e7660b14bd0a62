"""A stand-in Telegram Bot API server (aiohttp) for the alert and command tests.

It answers `/bot<token>/getMe`, `getChat`, `sendMessage` and `getUpdates` as Telegram does,
records every message it accepts, and can be told to misbehave: answer the next requests
with 429 + `parameters.retry_after` or 500 (sendMessage, or getMe / getChat at startup), answer
getChat with a chat missing fields, hold `sendMessage` requests, report 409 to a poller, or go down
altogether (connections refused) and come back on the same port.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
CHAT_ID = -1001234567890
TEAM_USER = {"id": 4242, "is_bot": False, "first_name": "运营小王", "username": "ops_wang"}


@dataclass
class Sent:
    chat_id: int
    text: str
    at: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StandInBotApi:
    token: str = TOKEN
    chat_id: int = CHAT_ID
    port: int = field(default_factory=free_port)
    sent: list[Sent] = field(default_factory=list)
    faults: deque[tuple[int, int]] = field(default_factory=deque)  # (status, retry_after) for sendMessage
    updates: list[dict[str, Any]] = field(default_factory=list)
    conflict: bool = False  # answer getUpdates with 409, as when a second poller runs
    # Keep sendMessage requests waiting: "before" they count as received (still on the network),
    # or "after" (Telegram has the message, the answer has not gone back yet).
    hold: str | None = None
    calls: list[str] = field(default_factory=list)
    held: int = 0
    # (status, retry_after) answered to the next getMe / getChat requests, before anything else
    startup_faults: dict[str, deque[tuple[int, int]]] = field(default_factory=dict)
    odd_chats: int = 0  # answer this many getChat requests with a chat missing its id and type

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self._new_update = asyncio.Event()
        self._update_id = 1000
        self._message_id = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.sent]

    # -- up and down

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    async def stop(self) -> None:
        """Down: the port refuses connections until `start()` again."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._release = asyncio.Event()

    def release(self) -> None:
        """Let held requests go on (a request held "before" whose sender died is dropped)."""
        self.hold = None
        self._release.set()

    # -- what the team types

    def command(self, text: str, *, chat_id: int | None = None, user: dict[str, Any] | None = None) -> int:
        """Queue a message from the team chat (or `chat_id`) for getUpdates; returns its update_id."""
        self._update_id += 1
        self._message_id += 1
        word = text.split()[0] if text.startswith("/") else ""
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {
                "id": chat_id if chat_id is not None else self.chat_id,
                "type": "supergroup",
                "title": "团队",
            },
            "from": user or TEAM_USER,
            "text": text,
        }
        if word:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(word)}]
        self.updates.append({"update_id": self._update_id, "message": message})
        self._new_update.set()
        return self._update_id

    # -- the API

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        return dict(await request.post())

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "supergroup", "title": "团队"}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.calls.append(method)
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params = await self._params(request)
        faults = self.startup_faults.get(method)
        if faults:
            status, retry_after = faults.popleft()
            if status == 429:
                return self._error(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
            return self._error(status, "Internal Server Error")
        if method == "getChat" and self.odd_chats > 0:
            self.odd_chats -= 1
            return web.json_response({"ok": True, "result": {"title": "团队"}})
        if method == "getMe":
            return web.json_response(
                {
                    "ok": True,
                    "result": {
                        "id": 123456,
                        "is_bot": True,
                        "first_name": "助理",
                        "username": "liveroom_bot",
                    },
                }
            )
        if method == "getChat":
            if str(params.get("chat_id")) != str(self.chat_id):
                return self._error(400, "Bad Request: chat not found")
            return web.json_response(
                {"ok": True, "result": {**self._chat(), "accent_color_id": 0, "max_reaction_count": 11}}
            )
        if method == "sendMessage":
            return await self._send(params, request)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("deleteWebhook", "setMyCommands"):
            return web.json_response({"ok": True, "result": True})
        return self._error(404, "Not Found")

    async def _send(self, params: dict[str, Any], request: web.Request) -> web.Response:
        if self.hold == "before":
            self.held += 1
            await self._release.wait()
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the sender is gone: never reached "Telegram"
        if self.faults:
            status, retry_after = self.faults.popleft()
            if status == 429:
                return self._error(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
            return self._error(status, "Internal Server Error")
        if str(params.get("chat_id")) != str(self.chat_id):
            return self._error(400, "Bad Request: chat not found")
        text = str(params.get("text", ""))
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        self._message_id += 1
        self.sent.append(Sent(int(params["chat_id"]), text, time.monotonic()))
        if self.hold == "after":
            self.held += 1
            await self._release.wait()
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": self._message_id,
                    "date": int(time.time()),
                    "chat": self._chat(),
                    "from": {"id": 123456, "is_bot": True, "first_name": "助理"},
                    "text": text,
                },
            }
        )

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.conflict:
            return self._error(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones are gone
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.updates and not self.conflict:
            self._new_update.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._new_update.wait(), left)
            except TimeoutError:
                break
        return web.json_response({"ok": True, "result": json.loads(json.dumps(self.updates))})
