"""`liveroom run`'s app (build_app) with the real show runner: team commands start and steer the show,
the room sees it over WebSocket, and the show's own events come back to the group as alerts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType

from bot.app import CREDENTIALS, build_app
from media.config import ServerSettings

from .books import rules_without_quiet_hours
from .standin import CHAT_ID, StandInBotApi

RULES = Path(__file__).resolve().parents[2] / "rules"


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.03)


async def test_start_next_pause_resume_with_the_show_runner(
    standin: StandInBotApi,
    aiohttp_client: Any,
    make_database_url: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", standin.token)
    monkeypatch.setenv("TELEGRAM_CHAT_ID", str(CHAT_ID))
    monkeypatch.setenv("TELEGRAM_API_BASE", standin.base)
    settings = ServerSettings(database_url=await make_database_url("sqlite"), data_dir=str(tmp_path))
    app = build_app(rules_without_quiet_hours(), settings)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/ws/demo")
    received: list[dict[str, Any]] = []

    async def read() -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = msg.json()
                received.extend(data if isinstance(data, list) else [data])

    reader = asyncio.create_task(read())
    await eventually(lambda: any(m.get("type") == "welcome" for m in received))

    def texts(words: str) -> Callable[[], bool]:
        return lambda: any(words in text for text in standin.texts)

    standin.command("/start demo")
    await eventually(
        lambda: any(m.get("cue") == "warm-hello" for m in received)
    )  # the first cue, in the room
    await eventually(texts("开播了：山野好物"))  # show_started, as an alert
    await eventually(texts("开播：demo"))  # the command's reply

    standin.command("/next")
    await eventually(lambda: any(m.get("type") == "pin_product" and "PAN-01" in str(m) for m in received))
    await eventually(texts("已执行下一个提示"))

    password = app[CREDENTIALS].team_password
    headers = {"Authorization": f"Bearer {password}"}

    async def show_status() -> str:
        body = await (await client.get("/api/show/demo", headers=headers)).json()
        return str(body["status"])

    standin.command("/pause")
    await eventually(texts("机器人已暂停"))
    assert await show_status() == "paused"
    standin.command("/resume")
    await eventually(texts("机器人已恢复"))
    assert await show_status() == "running"

    standin.command("/status")
    await eventually(texts("当前环节：warm"))
    status = next(text for text in standin.texts if "当前环节" in text)
    assert "下一个提示：" in status and "推流：未推流" in status

    standin.command("/report")  # the run's KPIs so far, from the event log
    await eventually(texts("本场到目前"))
    report = next(text for text in standin.texts if "本场到目前" in text)
    assert "观众 1" in report and "成交额 ¥0.00" in report

    body = await (await client.get("/api/alerts/demo", headers=headers)).json()
    assert body["channel"] == "telegram"
    assert any(a["kind"] == "show_started" for a in body["alerts"])
    await ws.close()
    await reader
