"""The stand-in Bot API server with what inline keyboards need: `sendMessage` keeps its
`reply_markup`, `answerCallbackQuery` and `editMessageText` are answered and recorded, and the
team can tap a button (a `callback_query` update) or reply to a message."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .standin import TEAM_USER, StandInBotApi


@dataclass
class ButtonBotApi(StandInBotApi):
    markups: dict[int, Any] = field(default_factory=dict)  # Telegram message id → its reply_markup
    by_text: dict[str, int] = field(default_factory=dict)
    answered_queries: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method not in ("answerCallbackQuery", "editMessageText", "editMessageReplyMarkup"):
            return await super()._handle(request)
        self.calls.append(method)
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params = await self._params(request)
        if method == "answerCallbackQuery":
            self.answered_queries.append(params)
            return web.json_response({"ok": True, "result": True})
        self.edits.append(params)
        message_id = int(params["message_id"])
        markup = params.get("reply_markup")
        self.markups[message_id] = json.loads(markup) if isinstance(markup, str) else markup
        return web.json_response(
            {"ok": True, "result": self._message(message_id, str(params.get("text", "")))}
        )

    async def _send(self, params: dict[str, Any], request: web.Request) -> web.Response:
        response = await super()._send(params, request)
        if response.status == 200:
            markup = params.get("reply_markup")
            self.markups[self._message_id] = json.loads(markup) if isinstance(markup, str) else markup
            self.by_text[str(params.get("text", ""))] = self._message_id
        return response

    def _message(self, message_id: int, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(),
            "from": {"id": 123456, "is_bot": True, "first_name": "助理", "username": "liveroom_bot"},
            "text": text,
        }

    def card(self, words: str) -> tuple[int, str, list[dict[str, Any]]]:
        """The message that contains `words`: its id, text and inline buttons."""
        for text, message_id in self.by_text.items():
            if words in text:
                markup = self.markups.get(message_id) or {}
                buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
                return message_id, text, buttons
        raise KeyError(words)

    def tap(self, message_id: int, data: str, user: dict[str, Any] | None = None) -> None:
        """A team member taps a button of message `message_id`."""
        self._update_id += 1
        query = {
            "id": f"q{self._update_id}",
            "from": user or TEAM_USER,
            "chat_instance": "ci-1",
            "data": data,
            "message": self._message(message_id, "card"),
        }
        self.updates.append({"update_id": self._update_id, "callback_query": query})
        self._new_update.set()

    def reply(self, text: str, to_message_id: int | None, user: dict[str, Any] | None = None) -> None:
        """A team member writes in the group, replying to `to_message_id` (or not)."""
        self._update_id += 1
        self._message_id += 1
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": self._chat(),
            "from": user or TEAM_USER,
            "text": text,
        }
        if to_message_id is not None:
            message["reply_to_message"] = self._message(to_message_id, "prompt")
        self.updates.append({"update_id": self._update_id, "message": message})
        self._new_update.set()
